import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../functions/core/errors';
import { type DecisionEffect, effectOf, isDecisionStatus } from '../../functions/core/status-effects';

// docs/behaviour.md, "Status to effect", written out independently of the table in the code.
const EXPECTED_EFFECTS: ReadonlyArray<[string, Omit<DecisionEffect, 'status'>]> = [
  ['NORMAL', { counted: true, notification: null }],
  ['WARNING_50', { counted: true, notification: { type: 'THRESHOLD_ALERT', threshold: 50 } }],
  ['WARNING_30', { counted: true, notification: { type: 'THRESHOLD_ALERT', threshold: 30 } }],
  ['WARNING_10', { counted: true, notification: { type: 'THRESHOLD_ALERT', threshold: 10 } }],
  ['MANUAL', { counted: false, notification: { type: 'CUSTOMER_BLOCKED', reason: 'MANUAL' } }],
  ['APP_BLOCK', { counted: false, notification: { type: 'CUSTOMER_BLOCKED', reason: 'APP_BLOCK' } }],
  ['TIME_BLOCK', { counted: false, notification: { type: 'CUSTOMER_BLOCKED', reason: 'TIME_BLOCK' } }],
  [
    'MONTHLY_LIMIT_EXCEEDED',
    { counted: false, notification: { type: 'CUSTOMER_BLOCKED', reason: 'MONTHLY_LIMIT_EXCEEDED' } },
  ],
  [
    'FAMILY_QUOTA_EXCEEDED',
    { counted: false, notification: { type: 'CUSTOMER_BLOCKED', reason: 'FAMILY_QUOTA_EXCEEDED' } },
  ],
];

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error to be thrown');
}

describe('effectOf: the status-to-effect table', () => {
  it.each(EXPECTED_EFFECTS)('maps %s to its effect', (status, effect) => {
    // Act
    const actual = effectOf(status);

    // Assert
    expect(actual).toEqual({ status, ...effect });
  });

  it('knows exactly the nine decision statuses', () => {
    expect(EXPECTED_EFFECTS.every(([status]) => isDecisionStatus(status))).toBe(true);
    expect(EXPECTED_EFFECTS).toHaveLength(9);
  });
});

describe('effectOf: an unknown status is a programming error', () => {
  it.each([
    ['an unknown name', 'WARNING_20'],
    ['a lower-case status', 'normal'],
    ['the empty string', ''],
    ['a status with spaces', ' NORMAL '],
    ['a prototype key', 'constructor'],
    ['__proto__', '__proto__'],
    ['toString', 'toString'],
    ['hasOwnProperty', 'hasOwnProperty'],
  ])('throws InvariantError UNKNOWN_STATUS for %s', (_case, status) => {
    // Act
    const error = thrownBy(() => effectOf(status));

    // Assert
    expect(error).toBeInstanceOf(InvariantError);
    expect((error as InvariantError).code).toBe('UNKNOWN_STATUS');
    expect((error as InvariantError).message).toContain(status);
  });
});

describe('isDecisionStatus', () => {
  it.each(['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'])(
    'is false for the prototype key %s',
    (key) => {
      expect(isDecisionStatus(key)).toBe(false);
    },
  );

  it('is true for a known status', () => {
    expect(isDecisionStatus('APP_BLOCK')).toBe(true);
  });
});
