import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIERS } from '../../vitest.config';

function foldersWithTests(root: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const folder = join(root, entry.name);
    if (readdirSync(folder).some((f) => f.endsWith('.test.ts'))) found.push(folder);
    found.push(...foldersWithTests(folder));
  }
  return found;
}

describe('the test tiers', () => {
  it('run every folder of tests, each in exactly one tier', () => {
    const tiered = Object.values(TIERS).flat();
    const folders = foldersWithTests('test').map((f) => f.split('/').slice(0, 2).join('/'));

    expect(new Set(tiered).size).toBe(tiered.length);
    expect([...new Set(folders)].sort()).toEqual([...tiered].sort());
  });
});
