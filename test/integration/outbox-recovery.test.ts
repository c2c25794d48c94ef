import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OUTBOX_TABLE } from '../../functions/adapters/dynamodb/table-layout';
import { notificationIdFor, OUTBOX_STATUS } from '../../functions/core/outbox/item';
import { sweep } from '../../functions/core/outbox/sweep';
import { GRACE_MS, type OutboxEnv, startOutboxEnv } from '../helpers/outbox-env';

const MINUTE = 60_000;
/** Longer than the backoff cap (16 min) and the lease: every pending item is due again. */
const NEXT_SWEEP = 20 * MINUTE;

describe('outbox sweeper recovery', () => {
  let env: OutboxEnv;
  const commands: { name: string; index?: string }[] = [];

  beforeAll(async () => {
    env = await startOutboxEnv('outbox-recovery');
    env.tables.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: string };
        commands.push({
          name: String(context.commandName),
          ...(input.IndexName ? { index: input.IndexName } : {}),
        });
        return next(args);
      },
      { step: 'initialize', name: 'recordOutboxCommands' },
    );
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    await env.stream.readNew();
    await env.fake.comeBack();
    env.fake.clearFailures();
    // Everything earlier tests left pending is due long before this test's items.
    env.clock.advance(24 * 60 * MINUTE);
    await env.sweeperHandler()();
  });

  it('republishes after an outage exactly once per item, and fails items that never succeed', async () => {
    const family = await env.blockedFamily(12);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    // From here on, only the outbox functions touch DynamoDB.
    commands.length = 0;
    const good = ids.slice(0, 10);
    const doomed = ids.slice(10);
    const sweeper = env.sweeperHandler();

    await env.fake.goDown('refused');
    const relayed = await env.relayHandler()(await env.stream.readNew());
    expect(relayed.batchItemFailures).toEqual([]);
    for (const id of ids) expect((await env.store.get(id))?.attempts).toBe(1);

    env.clock.advance(MINUTE / 2);
    expect(await sweeper()).toMatchObject({ claimed: 0, pending: 12 });

    for (const attempts of [2, 3]) {
      env.clock.advance(NEXT_SWEEP);
      const report = await sweeper();
      expect(report).toMatchObject({ claimed: 12, published: 0, publishFailed: 12, failed: 0, pending: 12 });
      for (const id of ids) expect((await env.store.get(id))?.attempts).toBe(attempts);
    }

    await env.fake.comeBack();
    env.fake.failNotifications(doomed, 'InternalFailure');
    env.clock.advance(NEXT_SWEEP);
    expect(await sweeper()).toMatchObject({ published: 10, publishFailed: 2, failed: 0, pending: 2 });

    env.clock.advance(NEXT_SWEEP);
    const last = await sweeper();
    expect(last).toMatchObject({
      published: 0,
      publishFailed: 2,
      failed: 2,
      pending: 0,
      oldestPendingAgeMs: 0,
    });

    env.clock.advance(NEXT_SWEEP);
    expect(await sweeper()).toMatchObject({ due: 0, claimed: 0 });
    // The relay sees every lease and attempt bump on the stream and publishes none of them.
    expect((await env.relayHandler()(await env.stream.readNew())).batchItemFailures).toEqual([]);

    for (const id of good) {
      expect((await env.store.get(id))?.status).toBe(OUTBOX_STATUS.sent);
      expect(env.fake.timesPublished(id)).toBe(1);
    }
    for (const id of doomed) {
      expect(await env.store.get(id)).toMatchObject({
        status: OUTBOX_STATUS.failed,
        attempts: env.config.outbox.maxAttempts,
        lastError: expect.stringContaining('InternalFailure'),
      });
      expect(env.fake.timesPublished(id)).toBe(0);
    }
    expect(commands.some((c) => c.name.startsWith('Query'))).toBe(true);
    expect(commands.some((c) => c.name.startsWith('Scan'))).toBe(false);
    expect(
      commands
        .filter((c) => c.name.startsWith('Query'))
        .every((c) => c.index === OUTBOX_TABLE.statusIndex.name),
    ).toBe(true);
  });

  it('leaves fresh items to the relay for the grace period, then picks up what the relay missed', async () => {
    const family = await env.blockedFamily(3);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    const sweeper = env.sweeperHandler();

    env.clock.advance(GRACE_MS - 1);
    expect(await sweeper()).toMatchObject({ claimed: 0, pending: 3, oldestPendingAgeMs: GRACE_MS - 1 });

    env.clock.advance(1);
    expect(await sweeper()).toMatchObject({ claimed: 3, published: 3, pending: 0 });
    for (const id of ids) expect(env.fake.timesPublished(id)).toBe(1);
  });

  it('stays inside its time budget and leaves the rest for the next run', async () => {
    const family = await env.blockedFamily(5);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    env.clock.advance(GRACE_MS);

    const noTime = await env.sweeperHandler(env.deliveryDeps(), env.config.outbox.sweeperSafetyMarginMs)();
    expect(noTime).toMatchObject({ outOfTime: true, claimed: 0, pending: 5, oldestPendingAgeMs: GRACE_MS });

    // Each PutEvents call "takes" ten seconds of the run's fifteen.
    const deps = env.deliveryDeps();
    const slow = env.deliveryDeps({
      publisher: {
        publish: async (notifications) => {
          env.clock.advance(10_000);
          return deps.publisher.publish(notifications);
        },
      },
    });
    const partial = await sweep(slow, { deadline: env.clock.now() + 15_000, pageSize: 2 });
    expect(partial).toMatchObject({ outOfTime: true, published: 4, pending: 1 });

    const rest = await sweep(deps, { deadline: env.clock.now() + 15_000, pageSize: 2 });
    expect(rest).toMatchObject({ outOfTime: false, published: 1, pending: 0 });
    for (const id of ids) expect(env.fake.timesPublished(id)).toBe(1);
  });
});
