import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import { notificationIdFor } from '../../functions/core/outbox/item';
import { sweep } from '../../functions/core/outbox/sweep';
import type { CommitOutcome, Ledger } from '../../functions/core/settlement/ports';
import type { SettlementWrite } from '../../functions/core/settlement/records';
import { periodOf } from '../../functions/core/time';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { type OutboxEnv, startOutboxEnv } from '../helpers/outbox-env';

const HOUR = 3_600_000;

/** Watches the ledger commits so a test can see an outbox item was staged and what became of it. */
function watchedLedger(inner: Ledger) {
  const attempts: { write: SettlementWrite; outcome: CommitOutcome['kind'] }[] = [];
  const ledger: Ledger = {
    loadSnapshots: (familyId, periods) => inner.loadSnapshots(familyId, periods),
    findFates: (eventIds) => inner.findFates(eventIds),
    async commit(units) {
      const result = await inner.commit(units);
      for (const unit of units) {
        const outcome = result.outcomes.get(unit)?.kind ?? 'failed';
        for (const period of unit.periods)
          for (const write of period.writes) attempts.push({ write, outcome });
      }
      return result;
    },
  };
  return { ledger, attempts };
}

describe('after-commit rule: no notification for anything that was not settled', () => {
  let env: OutboxEnv;

  beforeAll(async () => {
    env = await startOutboxEnv('outbox-after-commit');
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    await env.stream.readNew();
  });

  /** Everything downstream gets its chance: the relay on the stream, then a sweep long after grace. */
  async function deliverEverything() {
    const records = await env.stream.readNew();
    await env.relayHandler()(records);
    env.clock.advance(HOUR);
    await sweep(env.deliveryDeps(), { deadline: env.clock.now() + 60_000 });
    return records;
  }

  it('a transaction cancelled because the event is already settled stages nothing', async () => {
    const familyId = env.newFamilyId();
    const customerId = familyId * 10 + 1;
    await env.settlement.families.putFamily({ familyId, quotaBytes: 10 ** 12, members: [{ customerId }] });
    const event = usage(`settled-once-${familyId}`, familyId, customerId, 1000);
    await env.settle([event]);
    // Redis loses its data and the member is blocked since: Redis now decides the event anew, with a notification.
    await env.settlement.families.putFamily({
      familyId,
      quotaBytes: 10 ** 12,
      members: [{ customerId, policy: { manualBlock: true } }],
    });
    const keys = await env.settlement.redis.keysUnderPrefix();
    if (keys.length > 0) await env.settlement.redis.redis.unlink(...keys);
    const watched = watchedLedger(env.settlement.deps.ledger);

    // A record stamped later than the clock margin after the settlement: Redis cannot tell it was settled.
    const replay = {
      ...mskRecord(1, 0, event),
      timestamp: Date.now() + 2 * env.config.settlement.clockMarginMs,
    };
    const result = await env.settlement.handlerWith({ ...env.settlement.deps, ledger: watched.ledger })(
      mskEvent([replay]),
    );

    expect(result.batchItemFailures).toEqual([]);
    expect(watched.attempts).toHaveLength(1);
    expect(watched.attempts[0]?.write.outbox).not.toBeNull();
    expect(watched.attempts[0]?.outcome).toBe('stale');
    const id = notificationIdFor(event.eventId);
    expect(await env.store.get(id)).toBeNull();
    const records = await deliverEverything();
    expect(records.Records).toEqual([]);
    expect(env.fake.timesPublished(id)).toBe(0);
  });

  it('a transaction that does not commit leaves no outbox item, while other families are notified', async () => {
    const broken = await env.blockedFamily(1);
    const healthy = await env.blockedFamily(1);
    const brokenCustomer = broken.customerIds[0] as number;
    const period = periodOf(Date.now(), env.config.settlement.timeZone);
    // A period item whose member block reasons are not a set: the block update in the transaction cannot apply.
    await env.tables.doc.send(
      new PutCommand({
        TableName: env.tables.names.ledger,
        Item: {
          ...ledgerKeys.familyPeriod(broken.familyId, period),
          [`blockReasons_${brokenCustomer}`]: 'corrupt',
        },
      }),
    );
    const lost = usage(`lost-${broken.familyId}`, broken.familyId, brokenCustomer, 1000);
    const kept = usage(`kept-${healthy.familyId}`, healthy.familyId, healthy.customerIds[0] as number, 1000);
    const watched = watchedLedger(env.settlement.deps.ledger);

    const result = await env.settlement.handlerWith({ ...env.settlement.deps, ledger: watched.ledger })(
      mskEvent([mskRecord(2, 0, lost), mskRecord(3, 0, kept)]),
    );

    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'usage-events-2', offset: 0 } },
    ]);
    const lostAttempt = watched.attempts.find((a) => a.write.record.eventId === lost.eventId);
    expect(lostAttempt?.write.outbox).not.toBeNull();
    expect(lostAttempt?.outcome).toBe('failed');
    const lostId = notificationIdFor(lost.eventId);
    expect(await env.store.get(lostId)).toBeNull();

    const records = await deliverEverything();
    const inserted = records.Records.filter((r) => r.eventName === 'INSERT').map(
      (r) => r.dynamodb?.Keys?.notificationId?.S,
    );
    expect(inserted).toEqual([notificationIdFor(kept.eventId)]);
    expect(env.fake.timesPublished(lostId)).toBe(0);
    expect(env.fake.timesPublished(notificationIdFor(kept.eventId))).toBe(1);
  });
});
