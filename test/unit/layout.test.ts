import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Where things may import from: the core is pure (no AWS SDK, Redis client
 * or middleware, no adapter or function wiring), one function's folder never
 * imports another's (shared wiring lives in runtime/), the functions never
 * reach into the local harness, the CLI, the benchmark or the tests, and the
 * operator CLI does not import the local development harness.
 */
function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of a file: packages by name, relative ones as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(([, spec]) =>
    (spec as string).startsWith('.') ? normalize(join(dirname(file), spec as string)) : (spec as string),
  );
}

const FUNCTIONS = [
  'usage-events',
  'change-events',
  'outbox-relay',
  'outbox-sweeper',
  'usage-snapshots',
  'settlement-archiver',
  'usage-api',
];

function violations(files: string[], forbidden: (imported: string, file: string) => boolean) {
  return files.flatMap((file) =>
    importsOf(file)
      .filter((i) => forbidden(i, file))
      .map((i) => `${file} -> ${i}`),
  );
}

describe('the layout', () => {
  it('keeps the core pure', () => {
    const found = violations(
      sources('functions/core'),
      (i) =>
        /^(@aws-sdk|ioredis|@middy|@aws-lambda-powertools)/.test(i) ||
        /^functions\/(adapters|runtime)\//.test(i) ||
        FUNCTIONS.some((f) => i.startsWith(`functions/${f}/`)),
    );
    expect(found).toEqual([]);
  });

  it("never lets one function's folder import another's", () => {
    const found = FUNCTIONS.flatMap((own) =>
      violations(sources(`functions/${own}`), (i) =>
        FUNCTIONS.some((other) => other !== own && i.startsWith(`functions/${other}/`)),
      ),
    );
    expect(found).toEqual([]);
  });

  it('keeps the functions out of the local harness, the CLI, the benchmark and the tests', () => {
    expect(violations(sources('functions'), (i) => /^(local|cli|bench|test)\//.test(i))).toEqual([]);
  });

  it('keeps the operator CLI out of the local development harness', () => {
    expect(violations(sources('cli'), (i) => i.startsWith('local/'))).toEqual([]);
  });
});
