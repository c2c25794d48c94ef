import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { notificationIdFor, OUTBOX_STATUS } from '../../functions/core/outbox/item';
import {
  listByStatus,
  pendingBacklog,
  requeueAllFailed,
  requeueFailed,
} from '../../functions/core/outbox/operations';
import { sweep } from '../../functions/core/outbox/sweep';
import { type OutboxEnv, startOutboxEnv } from '../helpers/outbox-env';

describe('operator actions on the outbox', () => {
  let env: OutboxEnv;
  let operator: { store: OutboxEnv['store']; clock: OutboxEnv['clock'] };

  beforeAll(async () => {
    env = await startOutboxEnv('outbox-operations');
    operator = { store: env.store, clock: env.clock };
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    await env.stream.readNew();
    env.fake.clearFailures();
  });

  it('lists by status page by page, requeues one and then all FAILED items, and they are delivered', async () => {
    const family = await env.blockedFamily(4);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    env.fake.failNotifications(ids, 'MalformedDetail');
    await env.relayHandler()(await env.stream.readNew());
    env.fake.clearFailures();

    const first = await listByStatus(operator, OUTBOX_STATUS.failed, { limit: 3 });
    const second = await listByStatus(operator, OUTBOX_STATUS.failed, { limit: 3, cursor: first.cursor });
    expect(first.items).toHaveLength(3);
    expect([...first.items, ...second.items].map((i) => i.notificationId).sort()).toEqual([...ids].sort());

    const [one, ...rest] = ids as [string, ...string[]];
    env.clock.advance(5_000);
    expect(await requeueFailed(operator, one)).toBe('requeued');
    expect(await requeueFailed(operator, one)).toBe('not-failed');
    expect(await env.store.get(one)).toMatchObject({
      status: OUTBOX_STATUS.pending,
      attempts: 0,
      nextAttemptAt: env.clock.now(),
    });
    // The requeue is a change into PUBLISH_PENDING: the relay publishes it straight away.
    expect((await env.relayHandler()(await env.stream.readNew())).batchItemFailures).toEqual([]);
    expect(env.fake.timesPublished(one)).toBe(1);

    expect(await requeueAllFailed(operator, { pageSize: 2 })).toEqual({ requeued: 3, skipped: 0 });
    // The sweeper needs no grace for requeued items: they are due at once.
    expect(await sweep(env.deliveryDeps(), { deadline: env.clock.now() + 60_000 })).toMatchObject({
      published: 3,
      pending: 0,
    });
    for (const id of rest) expect(env.fake.timesPublished(id)).toBe(1);
    expect(await requeueFailed(operator, one)).toBe('not-failed');
    expect((await listByStatus(operator, OUTBOX_STATUS.failed, { limit: 10 })).items).toEqual([]);
  });

  it('reads the pending backlog and the age of its oldest item', async () => {
    expect(await pendingBacklog(operator)).toEqual({ pending: 0, oldestCreatedAt: null, oldestAgeMs: 0 });
    const createdAt = env.clock.now();
    await env.settleBlocked(await env.blockedFamily(2));
    env.clock.advance(30_000);
    await env.settleBlocked(await env.blockedFamily(1));

    expect(await pendingBacklog(operator)).toEqual({
      pending: 3,
      oldestCreatedAt: createdAt,
      oldestAgeMs: 30_000,
    });
  });
});
