import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/bundling';
import { logicalId, SYNTH_TIMEOUT_MS, type Synthesized, synthesize } from './support/synthesize';

/** Budget per bundle: keeps cold starts short and leaves room under Lambda's limits. */
const MAX_BUNDLE_BYTES = 1_000_000;

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ bundle: true });
}, SYNTH_TIMEOUT_MS);

function assetDirOf(functionPrefix: string): string {
  const id = logicalId(synth.template, 'AWS::Lambda::Function', functionPrefix);
  const metadata = synth.template.findResources('AWS::Lambda::Function')[id]!.Metadata as Record<
    string,
    string
  >;
  return join(synth.app.outdir, metadata['aws:asset:path']!);
}

describe.each([
  ['usage-events', 'FunctionsUsageEvents'],
  ['change-events', 'FunctionsChangeEvents'],
  ['outbox-relay', 'FunctionsOutboxRelay'],
  ['outbox-sweeper', 'FunctionsOutboxSweeper'],
  ['settlement-archiver', 'FunctionsSettlementArchiver'],
  ['usage-api', 'FunctionsUsageApi'],
])('%s bundle (real esbuild)', (name, prefix) => {
  it('is one ESM file with a source map, a require shim and the handler export, within the size budget', () => {
    const dir = assetDirOf(prefix);
    const bundle = join(dir, 'index.mjs');
    const size = statSync(bundle).size;
    console.info(`bundle size ${name}: ${(size / 1024).toFixed(1)} KiB (${size} bytes)`);
    expect(size).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(
      code.startsWith(
        "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(code).not.toMatch(/from\s*["']\.{1,2}\//);
  });
});

describe.each([
  ['usage-events', 'FunctionsUsageEvents'],
  ['change-events', 'FunctionsChangeEvents'],
])('%s bundle', (_name, prefix) => {
  // The Redis adapter registers every script when it is created: one missing file fails the cold start.
  it('ships the Lua scripts in lua/ next to index.mjs, identical to the repository', () => {
    const luaDir = join(assetDirOf(prefix), 'lua');
    const sources = readdirSync(join(REPO_ROOT, 'lua')).filter((f) => f.endsWith('.lua'));
    expect(sources.length).toBeGreaterThan(0);
    expect(readdirSync(luaDir).sort()).toEqual(sources.sort());
    for (const file of sources) {
      expect(readFileSync(join(luaDir, file), 'utf8')).toBe(
        readFileSync(join(REPO_ROOT, 'lua', file), 'utf8'),
      );
    }
  });
});

describe('usage-snapshots bundle (real esbuild, only deployed when the snapshots are on)', () => {
  /**
   * The Kafka client (with the schema validator it compiles its options with)
   * and the MSK IAM signer add about 0.6 MB. The function is off the settlement
   * path: its cold start delays a snapshot, never a decision.
   */
  const MAX_SNAPSHOTS_BUNDLE_BYTES = 1_300_000;

  it(
    'is one ESM file with the handler export, within its own budget',
    () => {
      const on = synthesize({
        bundle: true,
        context: { usageSnapshots: 'true', mskBootstrapBrokers: 'b-1.example:9098' },
      });
      const id = logicalId(on.template, 'AWS::Lambda::Function', 'FunctionsUsageSnapshots');
      const metadata = on.template.findResources('AWS::Lambda::Function')[id]!.Metadata as Record<
        string,
        string
      >;
      const bundle = join(on.app.outdir, metadata['aws:asset:path']!, 'index.mjs');
      const size = statSync(bundle).size;
      console.info(`bundle size usage-snapshots: ${(size / 1024).toFixed(1)} KiB (${size} bytes)`);
      expect(size).toBeLessThanOrEqual(MAX_SNAPSHOTS_BUNDLE_BYTES);
      expect(readFileSync(bundle, 'utf8')).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    },
    SYNTH_TIMEOUT_MS,
  );
});
