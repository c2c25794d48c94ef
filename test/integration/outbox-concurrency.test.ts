import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { notificationIdFor, OUTBOX_STATUS } from '../../functions/core/outbox/item';
import { sweep } from '../../functions/core/outbox/sweep';
import { GRACE_MS, type OutboxEnv, startOutboxEnv } from '../helpers/outbox-env';

const ROUNDS = 3;

describe('outbox concurrency: relay and sweeper runs never publish an item twice', () => {
  let env: OutboxEnv;

  beforeAll(async () => {
    env = await startOutboxEnv('outbox-concurrency');
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    await env.stream.readNew();
  });

  async function expectEachSentOnce(ids: ReadonlyArray<string>) {
    for (const id of ids) {
      expect(env.fake.timesPublished(id)).toBe(1);
      expect((await env.store.get(id))?.status).toBe(OUTBOX_STATUS.sent);
    }
  }

  it('two overlapping sweeper runs', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const family = await env.blockedFamily(25);
      const ids = (await env.settleBlocked(family)).map(notificationIdFor);
      env.clock.advance(GRACE_MS);
      const deadline = env.clock.now() + 60_000;

      const [a, b] = await Promise.all([
        sweep(env.deliveryDeps(), { deadline, pageSize: 5 }),
        sweep(env.deliveryDeps(), { deadline, pageSize: 5 }),
      ]);

      expect(a.claimed + b.claimed).toBe(25);
      expect(a.published + b.published).toBe(25);
      await expectEachSentOnce(ids);
    }
  });

  it('a sweeper run racing a late relay', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const family = await env.blockedFamily(15);
      const ids = (await env.settleBlocked(family)).map(notificationIdFor);
      const inserts = await env.stream.readNew();
      env.clock.advance(GRACE_MS);

      const [relayed, swept] = await Promise.all([
        env.relayHandler()(inserts),
        sweep(env.deliveryDeps(), { deadline: env.clock.now() + 60_000, pageSize: 5 }),
      ]);

      expect(relayed.batchItemFailures).toEqual([]);
      expect(swept.claimed).toBeLessThanOrEqual(15);
      await expectEachSentOnce(ids);
    }
  });

  it('a relay that arrives after the sweeper has published, and two deliveries of the same stream batch', async () => {
    const family = await env.blockedFamily(6);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    const inserts = await env.stream.readNew();
    env.clock.advance(GRACE_MS);

    await sweep(env.deliveryDeps(), { deadline: env.clock.now() + 60_000 });
    await Promise.all([env.relayHandler()(inserts), env.relayHandler()(inserts)]);

    await expectEachSentOnce(ids);

    const next = await env.blockedFamily(6);
    const nextIds = (await env.settleBlocked(next)).map(notificationIdFor);
    const nextInserts = await env.stream.readNew();
    await Promise.all([env.relayHandler()(nextInserts), env.relayHandler()(nextInserts)]);
    await expectEachSentOnce(nextIds);
  });
});
