import { describe, expect, it } from 'vitest';
import { OUTBOX_STATUS } from '../../functions/core/outbox/item';
import {
  afterPublish,
  afterPublishFailure,
  isDue,
  leaseUntil,
  type OutboxPolicy,
  requeued,
} from '../../functions/core/outbox/transitions';

const MINUTE = 60_000;
const policy: OutboxPolicy = {
  maxAttempts: 5,
  backoffBaseMs: MINUTE,
  backoffCapMs: 16 * MINUTE,
  leaseMs: MINUTE,
  sentRetentionSeconds: 7 * 86_400,
};
const retryable = { code: 'InternalFailure', message: 'try again', permanent: false };
const NOW = 1_750_000_000_123;

describe('outbox transitions', () => {
  it('backs off exponentially from the base and fails the item on the last attempt', () => {
    let item = { attempts: 0 };
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = afterPublishFailure(item, retryable, NOW, policy);
      expect(next.status).toBe(OUTBOX_STATUS.pending);
      delays.push(next.nextAttemptAt - NOW);
      item = next;
    }
    const last = afterPublishFailure(item, retryable, NOW, policy);

    expect(delays).toEqual([1, 2, 4, 8].map((m) => m * MINUTE));
    expect(last).toEqual({
      status: OUTBOX_STATUS.failed,
      attempts: 5,
      nextAttemptAt: NOW,
      lastError: 'InternalFailure: try again',
    });
  });

  it('caps the backoff', () => {
    const next = afterPublishFailure({ attempts: 7 }, retryable, NOW, { ...policy, maxAttempts: 20 });
    expect(next.nextAttemptAt - NOW).toBe(16 * MINUTE);
  });

  it('fails at once on a permanent error', () => {
    const next = afterPublishFailure(
      { attempts: 0 },
      { ...retryable, code: 'MalformedDetail', permanent: true },
      NOW,
      policy,
    );
    expect(next).toMatchObject({ status: OUTBOX_STATUS.failed, attempts: 1 });
  });

  it('keeps the recorded error short', () => {
    const next = afterPublishFailure(
      { attempts: 0 },
      { ...retryable, message: 'x'.repeat(5_000) },
      NOW,
      policy,
    );
    expect(next.lastError.length).toBeLessThanOrEqual(500);
  });

  it('sets the SENT retention in epoch seconds', () => {
    expect(afterPublish(NOW, policy)).toEqual({
      sentAt: NOW,
      expiresAt: Math.floor(NOW / 1000) + 7 * 86_400,
    });
  });

  it('requeues with a fresh attempt budget, due now', () => {
    expect(requeued(NOW)).toEqual({ status: OUTBOX_STATUS.pending, attempts: 0, nextAttemptAt: NOW });
  });

  it('is due only when pending and nextAttemptAt has passed', () => {
    expect(isDue({ status: OUTBOX_STATUS.pending, nextAttemptAt: NOW }, NOW)).toBe(true);
    expect(isDue({ status: OUTBOX_STATUS.pending, nextAttemptAt: NOW + 1 }, NOW)).toBe(false);
    expect(isDue({ status: OUTBOX_STATUS.failed, nextAttemptAt: NOW - 1 }, NOW)).toBe(false);
    expect(leaseUntil(NOW, policy)).toBe(NOW + MINUTE);
  });
});
