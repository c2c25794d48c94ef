import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ENV } from '../functions/runtime/env';
import { bundlingOptions, handlerEntry, REPO_ROOT } from '../lib/constructs/bundling';
import { freePort } from '../local/services/free-port';
import type { BundleResult, ColdStartResult } from './results';
import { median } from './stats';

const FUNCTIONS = ['usage-events', 'outbox-relay', 'outbox-sweeper'] as const;

/** Imports the bundle in a fresh process and prints how long the import (module initialisation) took. */
const CHILD = `
const started = performance.now();
for (const target of JSON.parse(process.env.BENCH_IMPORTS)) await import(target);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms }) + '\\n');
process.exit(0);
`;

/**
 * Bundles the three handlers with esbuild using the stack's own options
 * (lib/constructs/bundling.ts: bundlingOptions), copies lua/ next to the
 * usage-events bundle as the stack's afterBundling hook does, then imports
 * each bundle in fresh Node processes. The AWS SDK is external, as in the
 * stack (the Lambda runtime provides it); here it resolves from the
 * repository's node_modules through a link next to the bundles.
 */
export async function measureColdStart(runs: number): Promise<ColdStartResult> {
  const root = mkdtempSync(join(tmpdir(), 'usage-settlement-bench-'));
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    const closedPort = await freePort();
    const bundles: BundleResult[] = [];
    for (const name of FUNCTIONS) {
      const dir = join(root, name);
      const { file, externals } = await bundle(name, dir);
      const samples: number[] = [];
      const sdkSamples: number[] = [];
      for (let i = 0; i < runs; i++) {
        samples.push(await importTime([pathToFileURL(file).href], root, closedPort));
        sdkSamples.push(await importTime(externals, root, closedPort));
      }
      bundles.push({
        name,
        bundleBytes: statSync(file).size,
        sourceMapBytes: statSync(`${file}.map`).size,
        initMsMedian: median(samples),
        initMsSamples: samples,
        externalImportMsMedian: median(sdkSamples),
        externals,
      });
    }
    return {
      note:
        `esbuild with the stack's bundling options; module init = time to import the bundle in a fresh ` +
        `Node ${process.version} process (median of ${runs}); Redis not reachable (the client connects asynchronously); ` +
        (bundles.some((b) => b.externals.length > 0)
          ? 'external modules resolved from node_modules'
          : 'no external modules: the AWS SDK is in the bundle'),
      bundles,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Builds one handler; returns the bundle and the external modules it imports (the AWS SDK). */
async function bundle(
  name: (typeof FUNCTIONS)[number],
  dir: string,
): Promise<{ file: string; externals: string[] }> {
  const withLuaScripts = name === 'usage-events';
  const options = bundlingOptions({ withLuaScripts });
  const outfile = join(dir, 'index.mjs');
  const { metafile } = await build({
    metafile: true,
    entryPoints: [handlerEntry(name)],
    bundle: true,
    platform: 'node',
    format: options.format === 'esm' ? 'esm' : 'cjs',
    target: options.target,
    mainFields: options.mainFields,
    minify: options.minify,
    sourcemap: options.sourceMap,
    sourcesContent: options.sourcesContent,
    external: options.externalModules,
    banner: options.banner ? { js: options.banner } : {},
    outfile,
    logLevel: 'error',
  });
  if (withLuaScripts) {
    mkdirSync(join(dir, 'lua'), { recursive: true });
    const lua = join(REPO_ROOT, 'lua');
    for (const f of readdirSync(lua).filter((f) => f.endsWith('.lua')))
      copyFileSync(join(lua, f), join(dir, 'lua', f));
  }
  const externals = new Set<string>();
  for (const output of Object.values(metafile?.outputs ?? {})) {
    for (const imported of output.imports) {
      if (imported.external && !isBuiltin(imported.path)) externals.add(imported.path);
    }
  }
  return { file: outfile, externals: [...externals].sort() };
}

/** Milliseconds a fresh Node process takes to import `targets` (in order). */
function importTime(targets: ReadonlyArray<string>, cwd: string, closedPort: number): Promise<number> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'ap-northeast-2',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [ENV.ledgerTable]: 'bench-ledger',
    [ENV.outboxTable]: 'bench-outbox',
    [ENV.deadLetterQueueUrl]: `http://127.0.0.1:${closedPort}/000000000000/bench-dlq`,
    [ENV.redisUrl]: `redis://127.0.0.1:${closedPort}`,
    BENCH_IMPORTS: JSON.stringify(targets),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve((JSON.parse(line) as { ms: number }).ms);
      } catch {
        reject(new Error(`import failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
      }
    });
  });
}
