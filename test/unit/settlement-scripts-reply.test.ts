import { describe, expect, it } from 'vitest';
import {
  encodeDecision,
  parseDecision,
  parseSettleReply,
} from '../../functions/adapters/redis/settlement-scripts';
import type { Decision } from '../../functions/core/decision';
import { InvariantError } from '../../functions/core/errors';

// A decision JSON exactly as lua/settle-usage.lua writes it with cjson.
const WIRE = {
  s: 'WARNING_30',
  c: 1,
  n: 1,
  b: '52428800',
  u: '1001',
  h: '0123456789abcdef0123456789abcdef',
  m: ['1001:WARNING_50', '1001:WARNING_30'],
  r: 'run-1',
};
const wire = (overrides: Record<string, unknown> = {}) => JSON.stringify({ ...WIRE, ...overrides });

const DECISION: Decision = {
  status: 'WARNING_30',
  counted: true,
  notify: true,
  bytes: 52_428_800,
  customerId: 1001,
  payloadHash: '0123456789abcdef0123456789abcdef',
  markers: ['1001:WARNING_50', '1001:WARNING_30'],
  runId: 'run-1',
};

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error to be thrown');
}

function expectMalformed(action: () => unknown): void {
  const error = thrownBy(action);
  expect(error).toBeInstanceOf(InvariantError);
  expect((error as InvariantError).code).toBe('MALFORMED_SCRIPT_REPLY');
}

describe('parseSettleReply', () => {
  it.each([
    ['NEW', 'new'],
    ['DUP', 'duplicate'],
    ['CONFLICT', 'conflict'],
  ] as const)('maps %s to a %s result with the parsed decision', (kind, expected) => {
    // Act
    const result = parseSettleReply([kind, wire()]);

    // Assert
    expect(result).toEqual({ kind: expected, decision: DECISION });
  });

  it.each(['family', 'member', 'policy'] as const)('maps HYDRATE %s to the missing state', (missing) => {
    expect(parseSettleReply(['HYDRATE', missing])).toEqual({ kind: 'hydrate', missing });
  });

  it('reads Buffer elements (ioredis in buffer mode) as UTF-8 strings', () => {
    const reply = [Buffer.from('NEW'), Buffer.from(wire({ m: ['1001:APP_BLOCK:com.카카오'] }), 'utf8')];

    const result = parseSettleReply(reply);

    expect(result).toEqual({
      kind: 'new',
      decision: { ...DECISION, markers: ['1001:APP_BLOCK:com.카카오'] },
    });
  });

  it('reads an empty marker list that cjson encoded as {} as []', () => {
    const result = parseSettleReply(['NEW', wire({ s: 'NORMAL', n: 0, m: {} })]);

    expect(result).toEqual({
      kind: 'new',
      decision: { ...DECISION, status: 'NORMAL', notify: false, markers: [] },
    });
  });

  it('reads a block decision that counted nothing', () => {
    const result = parseSettleReply(['NEW', wire({ s: 'APP_BLOCK', c: 0, n: 0, m: {} })]);

    expect(result).toMatchObject({
      kind: 'new',
      decision: { status: 'APP_BLOCK', counted: false, notify: false },
    });
  });
});

describe('encodeDecision and parseDecision', () => {
  it('round-trips a decision', () => {
    expect(parseDecision(encodeDecision(DECISION))).toEqual(DECISION);
  });

  it('round-trips a decision without markers', () => {
    const decision: Decision = { ...DECISION, status: 'NORMAL', notify: false, markers: [] };

    expect(parseDecision(encodeDecision(decision))).toEqual(decision);
  });

  it('writes the same shape the Lua script caches (bytes and customer as strings, flags as 0/1)', () => {
    expect(JSON.parse(encodeDecision(DECISION))).toEqual(WIRE);
  });
});

describe('malformed replies fail loudly with MALFORMED_SCRIPT_REPLY', () => {
  it.each<[string, unknown]>([
    ['not an array', 'NEW'],
    ['null', null],
    ['an empty array', []],
    ['one element', ['NEW']],
    ['three elements', ['NEW', wire(), 'extra']],
    ['an unknown kind', ['OK', wire()]],
    ['a lower-case kind', ['new', wire()]],
    ['a non-string body', ['NEW', 42]],
    ['an unknown hydrate target', ['HYDRATE', 'quota']],
    ['a body that is not JSON', ['NEW', '{"s":']],
  ])('rejects a reply that is %s', (_case, reply) => {
    expectMalformed(() => parseSettleReply(reply));
  });

  it.each<[string, string]>([
    ['an unknown status', wire({ s: 'WARNING_20' })],
    ['a prototype key as status', wire({ s: 'constructor' })],
    ['a missing status', JSON.stringify({ ...WIRE, s: undefined })],
    ['non-integer bytes', wire({ b: '1.5' })],
    ['bytes as a number', wire({ b: 52428800 })],
    ['empty bytes', wire({ b: '' })],
    ['a non-integer customer', wire({ u: 'abc' })],
    ['a counted flag that is not 0/1', wire({ c: true })],
    ['a notify flag that is not 0/1', wire({ n: 2 })],
    ['a missing payload hash', JSON.stringify({ ...WIRE, h: undefined })],
    ['a missing run id', JSON.stringify({ ...WIRE, r: undefined })],
    ['a non-string marker', wire({ m: ['1001:WARNING_50', 7] })],
    ['a JSON array', '[]'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
  ])('rejects a decision with %s', (_case, json) => {
    expectMalformed(() => parseDecision(json));
    expectMalformed(() => parseSettleReply(['DUP', json]));
  });

  it('rejects bytes beyond the safe integer range instead of rounding them', () => {
    expectMalformed(() => parseDecision(wire({ b: '9007199254740993' })));
  });
});
