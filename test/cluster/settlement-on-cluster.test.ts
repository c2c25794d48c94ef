import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MskRecord } from '../../functions/core/kafka-record';
import { BLOCK_REASONS, THRESHOLD_STATUSES } from '../../functions/core/status-effects';
import { periodOf } from '../../functions/core/time';
import type { KafkaBatchResponse } from '../../functions/usage-events/usage-events-handler';
import { keySlot } from '../helpers/key-slot';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';
import { type ClusterSettlementEnv, startClusterSettlementEnv } from './cluster-settlement-env';

const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
const PARTITIONS = 6;
const EVENTS_PER_FAMILY = 8;
const MEMBERS = [11, 12, 13];
const FAMILIES = Array.from({ length: 50 }, (_, i) => ({
  familyId: 720_000 + i,
  quotaBytes: (2 + (i % 3)) * MB,
  members: [
    { customerId: 11, role: 'OWNER' },
    { customerId: 12 },
    {
      customerId: 13,
      policy: [
        {},
        { manualBlock: true },
        { blockedApps: ['Com.Video.App'] },
        { monthlyLimitBytes: MB / 2 },
        { blockWindow: { start: '0000', end: '0000' } },
      ][i % 5],
    },
  ],
}));
// Minutes in the past so the events are inside the accepted window; the period is that of the events.
const BASE_TIME = Date.now() - 10 * 60_000;
const PERIOD = periodOf(BASE_TIME, ZONE);

/** One batch over all families; a family always lands on the same partition, as with a Kafka key. */
function batch() {
  const offsets = new Map<number, number>();
  const records: MskRecord[] = [];
  for (let n = 0; n < EVENTS_PER_FAMILY; n++) {
    for (const { familyId } of FAMILIES) {
      const partition = familyId % PARTITIONS;
      const offset = offsets.get(partition) ?? 1_000;
      offsets.set(partition, offset + 1);
      const envelope = usage(`f${familyId}-e${n}`, familyId, MEMBERS[n % 3] ?? 11, 400_000, {
        appId: n % 2 === 1 ? 'com.video.APP' : null,
        timestamp: new Date(BASE_TIME + n * 1_000).toISOString(),
      });
      records.push(mskRecord(partition, offset, envelope));
    }
  }
  return mskEvent(records);
}

const EVENT = batch();
let cluster: ClusterSettlementEnv;
let single: SettlementEnv;
let clusterResponse: KafkaBatchResponse;
let singleResponse: KafkaBatchResponse;

beforeAll(async () => {
  [cluster, single] = await Promise.all([
    startClusterSettlementEnv('cluster'),
    startSettlementEnv('cluster-ref'),
  ]);
  await Promise.all(FAMILIES.flatMap((f) => [cluster.families.putFamily(f), single.families.putFamily(f)]));
  [clusterResponse, singleResponse] = await Promise.all([cluster.invoke(EVENT), single.invoke(EVENT)]);
});
afterAll(async () => {
  await cluster?.stop();
  await single?.stop();
});

/** What the ledger recorded per event, without run ids and timestamps (they differ between runs). */
const decisionsOf = (items: Record<string, unknown>[]) =>
  Object.fromEntries(
    items.map((r) => [
      String(r.eventId),
      {
        decision: r.decision,
        counted: r.counted,
        notify: r.notify,
        markers: r.alertMarkers,
        bytes: r.bytesUsed,
      },
    ]),
  );

async function clusterState(familyId: number) {
  return {
    usage: await cluster.ledger.usage(familyId, PERIOD),
    settlements: decisionsOf(await cluster.ledger.settlements(familyId, PERIOD)),
    redis: await cluster.redisPeriod(familyId, PERIOD),
  };
}

describe('the whole settlement path on a 3-master Redis Cluster', () => {
  it('settles every event of every family, and the ledger agrees with Redis', async () => {
    expect(clusterResponse).toEqual({ batchItemFailures: [] });
    for (const { familyId, quotaBytes } of FAMILIES) {
      const settlements = await cluster.ledger.settlements(familyId, PERIOD);
      expect(settlements).toHaveLength(EVENTS_PER_FAMILY);
      const counted = settlements
        .filter((r) => r.counted === true)
        .reduce((s, r) => s + Number(r.bytesUsed), 0);
      const ledgerUsage = await cluster.ledger.usage(familyId, PERIOD);
      expect({ familyId, ledgerUsage }).toEqual({ familyId, ledgerUsage: counted });
      const redis = await cluster.cache.periodState(familyId, PERIOD);
      expect(redis?.remaining).toBe(quotaBytes - ledgerUsage);
      for (const customerId of MEMBERS) {
        expect(redis?.used.get(customerId)).toBe(
          await cluster.ledger.memberUsage(familyId, PERIOD, customerId),
        );
      }
    }
    expect(cluster.connectionErrors).toEqual([]);
    expect(cluster.cluster.connectionErrors).toEqual([]);
  });

  it('decides and totals exactly as the same path on single-node Redis', async () => {
    expect(singleResponse).toEqual({ batchItemFailures: [] });
    const statuses = new Set<unknown>();
    for (const { familyId } of FAMILIES) {
      const onCluster = await clusterState(familyId);
      const settlements = decisionsOf(await single.settlements(familyId, PERIOD));
      expect({ familyId, ...onCluster }).toEqual({
        familyId,
        usage: await single.usage(familyId, PERIOD),
        settlements,
        redis: await single.redisPeriod(familyId, PERIOD),
      });
      for (const s of Object.values(settlements)) statuses.add(s.decision);
    }
    // The batch is not trivially all-NORMAL: blocks and thresholds are part of what is compared.
    expect(statuses).toEqual(new Set(['NORMAL', ...THRESHOLD_STATUSES, ...BLOCK_REASONS]));
  });

  it('keeps the families on all three masters', async () => {
    const owner = await cluster.cluster.slotOwners();
    expect(new Set(FAMILIES.map((f) => owner(keySlot(`{f:${f.familyId}}`)))).size).toBe(3);
    const byMaster = await cluster.cluster.keysByMaster();
    expect([...byMaster.values()].map((keys) => keys.length > 0)).toEqual([true, true, true]);
  });

  it('changes nothing when the same batch is redelivered', async () => {
    const before = await Promise.all(FAMILIES.map((f) => clusterState(f.familyId)));

    expect(await cluster.invoke(EVENT)).toEqual({ batchItemFailures: [] });

    expect(await Promise.all(FAMILIES.map((f) => clusterState(f.familyId)))).toEqual(before);
    expect(cluster.connectionErrors).toEqual([]);
  });
});
