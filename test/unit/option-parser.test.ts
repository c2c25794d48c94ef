import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import { parseOptionArgs } from '../../cli/option-parser';

const OPTIONS = {
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parsed = (argv: string[]) => {
  const { values, positionals } = parseOptionArgs(argv, OPTIONS, true);
  return { values: { ...values }, positionals };
};

const mistake = (argv: string[], allowPositionals = true): string => {
  try {
    parseOptionArgs(argv, OPTIONS, allowPositionals);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`);
};

describe('parseOptionArgs: negative numbers are values', () => {
  it('gives a negative number after an option that takes a value to that option', () => {
    expect(parsed(['--limit', '-1', '--json'])).toEqual({
      values: { limit: '-1', json: true },
      positionals: [],
    });
    expect(parsed(['--limit', '-0.5']).values.limit).toBe('-0.5');
    expect(parsed(['--limit=-7']).values.limit).toBe('-7');
  });

  it('reads a negative number elsewhere as a positional, in its place among the others', () => {
    expect(parsed(['-5', '--json', 'x', '--', '-y'])).toEqual({
      values: { json: true },
      positionals: ['-5', 'x', '-y'],
    });
  });

  it('still rejects what is not a number with one line', () => {
    expect(mistake(['--limit', '--json'])).toMatch(/^Option '--limit' argument is ambiguous\. Did you/);
    expect(mistake(['--limit'])).toBe("Option '--limit <value>' argument missing");
    expect(mistake(['-x'])).toContain("Unknown option '-x'");
    expect(mistake(['-5'], false)).toContain("Unexpected argument '-5'");
    for (const message of [mistake(['--limit', '--json']), mistake(['-x'])]) {
      expect(message).not.toContain('\n');
    }
  });
});
