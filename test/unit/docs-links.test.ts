import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every relative link of the repository's Markdown points at a file that
 * exists, and a link with a fragment at a heading of that file: an operator
 * who follows the deploy guide to "capacity.md#..." lands on the section.
 */
const ROOT = join(__dirname, '..', '..');
const SKIP = new Set(['node_modules', '.git', '.local', 'cdk.out', 'dist', '.venv']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, title] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const text = (title ?? '').replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function brokenLinks(): string[] {
  const broken: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    let set = anchorCache.get(file);
    if (!set) {
      set = anchorsOf(readFileSync(file, 'utf8'));
      anchorCache.set(file, set);
    }
    return set;
  };
  for (const file of markdownFiles(ROOT)) {
    const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/i.test(target)) continue;
      const [path, fragment] = target.split('#') as [string, string | undefined];
      const linked = path === '' ? file : join(dirname(file), decodeURIComponent(path));
      const where = `${relative(ROOT, file)} -> ${target}`;
      if (!existsSync(linked)) broken.push(`${where}: no such file`);
      else if (fragment && linked.endsWith('.md') && !anchors(linked).has(fragment)) {
        broken.push(`${where}: no such heading`);
      }
    }
  }
  return broken;
}

describe('Markdown links', () => {
  it('point at files that exist and headings they have', () => {
    expect(brokenLinks()).toEqual([]);
  });

  it('take anchors as GitHub makes them', () => {
    const anchors = anchorsOf(
      '# On-demand or provisioned\n## W2: the reference scale\n## `npm start` (local)\n## W2: the reference scale\n',
    );
    expect([...anchors]).toEqual([
      'on-demand-or-provisioned',
      'w2-the-reference-scale',
      'npm-start-local',
      'w2-the-reference-scale-1',
    ]);
  });
});
