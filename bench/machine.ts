import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

/** The machine the figures were taken on; no host name, user or path. */
export function describeMachine(): Machine {
  let cpuModel = 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    cpuModel = line?.split(':')[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: leave it unknown.
  }
  return {
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export const describeMachineLine = (m: Machine) =>
  `${m.cpus} vCPU (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Node.js ${m.node}, ${m.platform}`;

/** The code measured: the commit, and whether functions/, lib/ or lua/ had uncommitted changes. */
export function describeRevision(): { readonly commit: string; readonly uncommittedChanges: boolean } | null {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      uncommittedChanges: git('status', '--porcelain', '--', 'functions', 'lib', 'lua').trim() !== '',
    };
  } catch {
    return null;
  }
}
