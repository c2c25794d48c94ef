import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { findSourceMap, type SourceMap } from 'node:module';
import { join } from 'node:path';
import { type CallFrame, generatedLocation, type Locate, type Profile, shortPath } from './self-time';

/**
 * V8's sampling profiler on this process, started and stopped by the run
 * around the part it measures (not its setup or the read-back of its figures).
 * It samples the main thread only: GC helpers and the libuv pool show in
 * process.cpuUsage(), not here.
 */
export class CpuProfiler {
  private readonly session = new Session();
  private taken: Profile | null = null;

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
  }

  async stop(): Promise<void> {
    try {
      this.taken = (await this.session.post('Profiler.stop')).profile;
    } finally {
      this.session.disconnect();
    }
  }

  /** The profile once stopped; null before. */
  get profile(): Profile | null {
    return this.taken;
  }
}

/**
 * Writes a profile as `<name>.cpuprofile`, the form Chrome DevTools and VS
 * Code open, with scripts named relative to `root` so that no path of this
 * machine goes into the results; returns its path.
 */
export function saveProfile(profile: Profile, dir: string, name: string, root: string): string {
  const nodes = profile.nodes.map((node) => ({
    ...node,
    callFrame: { ...node.callFrame, url: shortPath(node.callFrame.url, root) },
  }));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.cpuprofile`);
  writeFileSync(path, JSON.stringify({ ...profile, nodes }));
  return path;
}

/**
 * Names a frame by its line in the TypeScript source when the loader left a
 * source map (tsx emits each module on one line, so the generated line says
 * nothing), by its generated line otherwise.
 */
export function sourceLocation(root: string): Locate {
  const generated = generatedLocation(root);
  const maps = new Map<string, SourceMap | undefined>();
  return (frame: CallFrame) => {
    if (frame.url === '') return '';
    if (!maps.has(frame.url)) maps.set(frame.url, findSourceMap(frame.url));
    const entry = maps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (!entry || !('originalSource' in entry)) return generated(frame);
    return `${shortPath(entry.originalSource, root)}:${entry.originalLine + 1}`;
  };
}
