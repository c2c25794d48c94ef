import { describe, expect, it } from 'vitest';
import { parseDecision, parseLaneReply } from '../../functions/adapters/redis/settlement-scripts';
import { InvariantError } from '../../functions/core/errors';
import type { Decision } from '../../functions/core/settlement/decision';

// A decision JSON exactly as lua/settle-lane.lua writes it with cjson.
const WIRE = {
  s: 'WARNING_30',
  c: 1,
  n: 1,
  b: '52428800',
  u: '1001',
  h: '0123456789abcdef0123456789abcdef',
  m: ['1001:WARNING_50', '1001:WARNING_30'],
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
};

const PERIODS = ['202611', '202612'];
const STATES = [['3', '1000', 'inc-1', '2', '1764000000000', '4'], []];

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

describe('parseLaneReply', () => {
  it('maps every answer kind in order, and the states of the periods that exist', () => {
    // Act
    const reply = parseLaneReply(
      [STATES, ['NEW', wire()], ['PENDING', wire()], ['SETTLED'], ['CONFLICT'], ['NOT_MEMBER']],
      PERIODS,
    );

    // Assert
    expect(reply).toEqual({
      replies: [
        { kind: 'new', decision: DECISION },
        { kind: 'pending', decision: DECISION },
        { kind: 'settled' },
        { kind: 'conflict' },
        { kind: 'not-member' },
      ],
      stop: null,
      states: new Map([
        [
          '202611',
          {
            version: 3,
            quotaBytes: 1000,
            incarnation: 'inc-1',
            pending: 2,
            stampMs: 1_764_000_000_000,
            globalRevision: 4,
            source: 'redis',
          },
        ],
      ]),
    });
  });

  it('names the period a lane stopped for, by its index', () => {
    expect(parseLaneReply([STATES, ['NEW', wire()], ['HYDRATE', 2]], PERIODS)).toMatchObject({
      replies: [{ kind: 'new' }],
      stop: { kind: 'hydrate', period: '202612' },
    });
  });

  it('names the period a lane must reload before it decides anything', () => {
    expect(parseLaneReply([STATES, ['RELOAD', 1]], PERIODS)).toMatchObject({
      replies: [],
      stop: { kind: 'reload', period: '202611' },
    });
  });

  it('names the period and the global revision a lane stopped for', () => {
    expect(parseLaneReply([STATES, ['GLOBAL', 2, '3']], PERIODS)).toMatchObject({
      stop: { kind: 'global', period: '202612', revision: 3 },
    });
  });

  it('reads a state that took no global revision yet', () => {
    const reply = parseLaneReply(
      [
        [['3', '1000', 'inc-1', '0', '0', ''], []],
        ['NEW', wire()],
      ],
      PERIODS,
    );
    expect(reply.states.get('202611')?.globalRevision).toBeNull();
  });

  it('reads the settled horizon of a stop for the ledger', () => {
    expect(parseLaneReply([STATES, ['VERIFY', '1700000000000']], PERIODS)).toMatchObject({
      replies: [],
      stop: { kind: 'verify', horizonMs: 1_700_000_000_000 },
    });
  });

  it('reads Buffer elements (ioredis in buffer mode) as UTF-8 strings', () => {
    const reply = [
      STATES,
      [Buffer.from('NEW'), Buffer.from(wire({ m: ['1001:APP_BLOCK:com.카카오'] }), 'utf8')],
    ];

    expect(parseLaneReply(reply, PERIODS).replies).toEqual([
      { kind: 'new', decision: { ...DECISION, markers: ['1001:APP_BLOCK:com.카카오'] } },
    ]);
  });

  it('reads an empty marker list that cjson encoded as {} as []', () => {
    expect(parseDecision(wire({ s: 'NORMAL', n: 0, m: {} }))).toEqual({
      ...DECISION,
      status: 'NORMAL',
      notify: false,
      markers: [],
    });
  });

  it('reads a block decision that counted nothing', () => {
    expect(parseDecision(wire({ s: 'APP_BLOCK', c: 0, n: 0, m: {} }))).toMatchObject({
      status: 'APP_BLOCK',
      counted: false,
      notify: false,
    });
  });
});

describe('malformed replies fail loudly with MALFORMED_SCRIPT_REPLY', () => {
  it.each<[string, unknown]>([
    ['not an array', 'NEW'],
    ['null', null],
    ['an empty array', []],
    ['states for another number of periods', [[['1', '1']]]],
    ['a state with a negative version', [[['-1', '5'], []]]],
    ['a state without its pending count', [[['1', '5', 'inc-1'], []]]],
    ['a state without its commit stamp', [[['1', '5', 'inc-1', '0'], []]]],
    ['a global stop without its revision', [STATES, ['GLOBAL', 1]]],
    ['an answer that is not an array', [STATES, 'NEW']],
    ['an unknown kind', [STATES, ['OK', wire()]]],
    ['a lower-case kind', [STATES, ['new', wire()]]],
    ['a non-string body', [STATES, ['NEW', 42]]],
    ['a stop before the end', [STATES, ['HYDRATE', 1], ['NEW', wire()]]],
    ['a stop for a period the lane does not have', [STATES, ['HYDRATE', 3]]],
    ['a reload for a period the lane does not have', [STATES, ['RELOAD', 0]]],
    ['a reload after answers', [STATES, ['NEW', wire()], ['RELOAD', 1]]],
    ['a horizon that is not a count', [STATES, ['VERIFY', 'soon']]],
    ['a body that is not JSON', [STATES, ['NEW', '{"s":']]],
  ])('rejects a reply that is %s', (_case, reply) => {
    expectMalformed(() => parseLaneReply(reply, PERIODS));
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
    ['a non-string marker', wire({ m: ['1001:WARNING_50', 7] })],
    ['a JSON array', '[]'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
  ])('rejects a decision with %s', (_case, json) => {
    expectMalformed(() => parseDecision(json));
    expectMalformed(() => parseLaneReply([STATES, ['PENDING', json]], PERIODS));
  });

  it('rejects bytes beyond the safe integer range instead of rounding them', () => {
    expectMalformed(() => parseDecision(wire({ b: '9007199254740993' })));
  });
});
