import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import { parseStartCommand, type StartCommand } from '../../local/start-options';

const dir = mkdtempSync(join(tmpdir(), 'start-options-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const parsed = (argv: string[]) => {
  const command: StartCommand = parseStartCommand(argv);
  if (command.help) throw new Error('expected a run, got --help');
  return command;
};

/** The one-line message a user mistake gets; fails when the parse throws anything else. */
const mistake = (argv: string[]): string => {
  try {
    parseStartCommand(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`);
};

describe('npm start options', () => {
  it('has the documented defaults', () => {
    const { pipeline, json, jsonOut, keepRunning } = parsed([]);
    expect(pipeline).toEqual({
      kafka: false,
      redisOutage: false,
      events: 5_000,
      families: 40,
      partitions: 8,
      batchSize: 500,
      top: 5,
      seed: 20261121,
      logLevel: 'SILENT',
      outDir: '.local',
    });
    expect({ json, jsonOut, keepRunning }).toEqual({ json: false, jsonOut: undefined, keepRunning: false });
  });

  it('keeps running only with a broker, which other producers can reach', () => {
    expect(() => parseStartCommand(['--keep-running'])).toThrow('--keep-running needs --kafka');
    expect(parsed(['--kafka', '--keep-running'])).toMatchObject({
      keepRunning: true,
      pipeline: { kafka: true },
    });
  });

  it('serves with or without a broker: the services stay up, and with a broker it keeps consuming too', () => {
    expect(parsed(['--serve'])).toMatchObject({ keepRunning: true, serve: true, pipeline: { kafka: false } });
    expect(parsed(['--kafka', '--serve'])).toMatchObject({
      keepRunning: true,
      serve: true,
      pipeline: { kafka: true },
    });
    expect(() => parseStartCommand(['--keep-running'])).toThrow(
      '(--serve keeps the services up without one)',
    );
  });

  it('reads and validates both input files before anything starts', () => {
    const families = file(
      'families.json',
      JSON.stringify([{ familyId: 7, quotaBytes: 100, members: [{ customerId: 1 }] }]),
    );
    const events = file('events.jsonl', '{"eventId":"a"}\n\nnot json\n');

    const { pipeline } = parsed(['--families-file', families, '--events-file', events]);

    expect(pipeline.familyList).toMatchObject([
      { familyId: 7, quotaBytes: 100, members: [{ customerId: 1 }] },
    ]);
    expect(pipeline.eventLines).toEqual(['{"eventId":"a"}', 'not json']);
  });

  it('refuses an events file without a families file when no family its usage events name would exist', () => {
    const usage = (familyId: number) =>
      JSON.stringify({ eventId: `e-${familyId}`, eventType: 'DATA_USAGE', payload: { familyId } });
    const upsert = (familyId: number) =>
      JSON.stringify({ eventId: `f-${familyId}`, eventType: 'FAMILY_UPSERTED', payload: { familyId } });
    const strangers = file('strangers.jsonl', `${usage(7001)}\n${usage(7002)}\nnot json\n`);

    expect(mistake(['--events-file', strangers])).toBe(
      `--events-file ${strangers}: no family its usage events name exists (7001, 7002); without ` +
        '--families-file only the demo families 101-140 exist: give yours with --families-file',
    );
    expect(mistake(['--events-file', file('beyond.jsonl', usage(110)), '--families', '5'])).toContain(
      'only the demo families 101-105 exist',
    );
    for (const lines of [[usage(7001), usage(101)], [upsert(7001), usage(7001)], ['not json']]) {
      const events = file('fine.jsonl', lines.join('\n'));
      expect(parsed(['--events-file', events]).pipeline.eventLines).toEqual(lines);
    }
    const families = file(
      'families-7001.json',
      JSON.stringify({ familyId: 7001, quotaBytes: 1, members: [] }),
    );
    expect(
      parsed(['--events-file', strangers, '--families-file', families]).pipeline.familyList,
    ).toHaveLength(1);
  });

  it('rejects a missing, unreadable or wrong kind of file with one line naming the option', () => {
    expect(mistake(['--events-file', join(dir, 'nope.jsonl')])).toBe(
      `cannot read --events-file ${join(dir, 'nope.jsonl')}: no such file`,
    );
    expect(mistake(['--families-file', dir])).toBe(
      `cannot read --families-file ${dir}: is a directory, not a file`,
    );
    expect(mistake(['--events-file', file('blank.jsonl', '\n \n')])).toContain('holds no events');
    expect(mistake(['--families-file', file('bad.json', '{ "familyId": 0 }')])).toMatch(
      /is not a valid family: /,
    );
    expect(mistake(['--families-file', file('broken.json', '[{')])).toContain('is not valid JSON');
    expect(mistake(['--out', file('a-file', '')])).toContain('cannot write --out');
    expect(mistake(['--json-out', dir])).toBe(`cannot write --json-out ${dir}: is a directory, not a file`);
    const blocked = file('not-a-dir', '');
    expect(mistake(['--json-out', join(blocked, 'summary.json')])).toBe(
      `cannot write --json-out ${join(blocked, 'summary.json')}: ${blocked} is not a directory`,
    );
  });

  it.skipIf(process.getuid?.() === 0)('rejects an output directory it may not write to', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    chmodSync(locked, 0o500);
    expect(mistake(['--out', join(locked, 'runs')])).toBe(
      `cannot write --out ${join(locked, 'runs')}: ${locked} is not writable`,
    );
  });

  it('rejects bad values and unknown options with one line', () => {
    expect(mistake(['--events', 'many'])).toBe('--events must be a positive integer, got "many"');
    expect(mistake(['--partitions', '0'])).toBe('--partitions must be a positive integer, got "0"');
    expect(mistake(['--events', '-5'])).toBe('--events must be a positive integer, got "-5"');
    expect(mistake(['--seed', '-1'])).toBe('--seed must be a positive integer, got "-1"');
    expect(mistake(['--log-level', 'loud'])).toContain('--log-level must be one of SILENT');
    expect(mistake(['--eventz', '5'])).toContain("Unknown option '--eventz'");
    expect(mistake(['five'])).toContain("Unexpected argument 'five'");
  });

  it('accepts --json with --json-out, a log level in any case, and --help alone', () => {
    const out = join(dir, 'new', 'summary.json');
    expect(parsed(['--json', '--json-out', out])).toMatchObject({ json: true, jsonOut: out });
    expect(parsed(['--log-level', 'info']).pipeline.logLevel).toBe('INFO');
    expect(parseStartCommand(['--help', '--events-file', 'ignored'])).toEqual({ help: true });
  });
});
