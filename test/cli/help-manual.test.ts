import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../../cli/main';

const MANUAL = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** From a heading to the next one of the same level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/operations.md has no "${heading}"`);
  const end = text.indexOf('\n## ', start + heading.length + 2);
  return text.slice(start, end < 0 ? undefined : end);
}

const CLI_SECTION = section(MANUAL, '## The operator CLI');

/** A table cell escapes "|" as "\|"; a synopsis may wrap. */
const normalize = (text: string) => text.replace(/\\\|/g, '|').replace(/\s+/g, ' ').trim();

/** Every inline code span, and every command line of a code block, without the program name. */
function commandTexts(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
  const lines = [...markdown.matchAll(/^(?:\$ )?npx usage-settlement (.+)$/gm)].map((m) => m[1] as string);
  return [...spans, ...lines].map((t) =>
    normalize(t.replace(/^(npx )?usage-settlement /, '').replace(/#.*/, '')),
  );
}

async function help(args: string[]): Promise<string> {
  const out: string[] = [];
  const code = await run(args, { stdout: (t) => out.push(t), stderr: () => {}, env: {} });
  const stdout = out.join('');
  expect(code, args.join(' ')).toBe(0);
  return stdout;
}

/** The commands `--help` lists: "  family put        create or replace ...". */
async function listedCommands(): Promise<string[]> {
  const top = await help(['--help']);
  const block = top.slice(
    top.indexOf('Commands:\n') + 'Commands:\n'.length,
    top.indexOf('\n\n', top.indexOf('Commands:')),
  );
  return block
    .split('\n')
    .map((line) => (/^ {2}([a-z]+(?: [a-z]+)?) {2,}/.exec(line) as RegExpExecArray)[1] as string);
}

/** A command's synopsis and the flags its Options list, from its own --help. */
async function commandHelp(path: string) {
  const text = await help([...path.split(' '), '--help']);
  const synopsis = normalize(text.slice('Usage: usage-settlement '.length, text.indexOf('\n\n')));
  expect(text, `${path} --help`).toContain('\nOptions:\n');
  const options = text.slice(text.indexOf('\nOptions:\n'));
  const flags = [...options.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)]
    .map((m) => m[1] as string)
    .filter((f) => f !== '--help');
  return { synopsis, flags };
}

describe('the CLI help and docs/operations.md', () => {
  it('documents every command --help lists, with its synopsis and every flag its help lists', async () => {
    const documented = commandTexts(CLI_SECTION);
    const commands = await listedCommands();
    expect(commands.length).toBeGreaterThan(10);
    for (const path of commands) {
      const { synopsis, flags } = await commandHelp(path);
      expect(documented, `the synopsis of ${path} in docs/operations.md`).toContain(synopsis);
      for (const flag of flags) expect(synopsis.split(/[\s[\]()|]+/), `${path} ${flag}`).toContain(flag);
    }
  });

  it('names only commands that exist, with flags they take', async () => {
    const commands = await listedCommands();
    const groups = new Set(commands.map((c) => c.split(' ')[0]));
    const flagsOf = new Map<string, string[]>();
    for (const path of commands) flagsOf.set(path, [...(await commandHelp(path)).flags, '--help']);
    const named = commandTexts(MANUAL).filter((text) => groups.has(text.split(' ')[0]));
    expect(named.length).toBeGreaterThan(30);
    for (const text of named) {
      // A group alone ("the `outbox` commands") names what `usage-settlement outbox --help` lists.
      if (groups.has(text)) continue;
      const [first, second = ''] = text.split(' ');
      const path = commands.includes(`${first} ${second}`) ? `${first} ${second}` : (first as string);
      expect(commands, `docs/operations.md names "${text}"`).toContain(path);
      for (const flag of text.match(/--[a-z][a-z-]*/g) ?? []) {
        expect(flagsOf.get(path), `"${text}" in docs/operations.md`).toContain(flag);
      }
    }
  });
});
