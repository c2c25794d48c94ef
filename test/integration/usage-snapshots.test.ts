import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFamilyLimits } from '../../functions/adapters/dynamodb/family-limits';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import { createChangeEventsHandler } from '../../functions/change-events/change-events-handler';
import { systemClock } from '../../functions/core/ports';
import { cachedFamilyLimits } from '../../functions/core/snapshots/limits-cache';
import type { SnapshotPublisher } from '../../functions/core/snapshots/ports';
import type { SnapshotReport } from '../../functions/core/snapshots/publish';
import type { UsageSnapshot } from '../../functions/core/snapshots/usage-snapshot';
import { periodOf } from '../../functions/core/time';
import { createObservability } from '../../functions/runtime/observability';
import { createUsageSnapshotsHandler } from '../../functions/usage-snapshots/usage-snapshots-handler';
import { openTableStream, type TableStream } from '../../local/outbox/stream-reader';
import {
  changeRecord,
  correction,
  familyEvent,
  mskEvent,
  mskRecord,
  policyUpdated,
  type UsageEnvelope,
  usage,
} from '../helpers/msk';
import { lambdaContext, type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

const GB = 1024 ** 3;
let nextFamilyId = 7_000_000 + Math.floor(Math.random() * 1000) * 1000;

/** What a topic would hold: every snapshot accepted, in order; `refuse` makes the next publishes fail. */
function recordingPublisher() {
  const accepted: UsageSnapshot[] = [];
  let refusals = 0;
  const publisher: SnapshotPublisher = {
    async publish(snapshots) {
      if (refusals > 0) {
        refusals--;
        return snapshots.map(() => ({ ok: false, code: 'LEADER_NOT_AVAILABLE', permanent: false }));
      }
      accepted.push(...snapshots);
      return snapshots.map(() => ({ ok: true }));
    },
  };
  return {
    publisher,
    accepted,
    refuse: (n: number) => {
      refusals = n;
    },
  };
}

describe('usage snapshots: USAGE_UPDATED from the ledger stream, one entry per member a commit changed', () => {
  let env: SettlementEnv;
  let stream: TableStream;
  let topic: ReturnType<typeof recordingPublisher>;
  let reports: SnapshotReport[] = [];
  let settle: (
    records: Array<UsageEnvelope | ReturnType<typeof correction>>,
  ) => ReturnType<SettlementEnv['invoke']>;
  /** Applies one family or policy change as change-events does; its snapshots come from the stream too. */
  let change: (value: Parameters<typeof changeRecord>[0]) => ReturnType<SettlementEnv['applyChange']>;
  let offset = 0;
  const period = () => periodOf(Date.now(), env.config.settlement.timeZone);

  /** One invocation of usage-snapshots with what the stream got since the last one: a stream batch. */
  let publishFromStream: () => Promise<void>;

  beforeAll(async () => {
    env = await startSettlementEnv('usage-snapshots');
    stream = await openTableStream({
      endpoint: env.tables.endpoint,
      client: env.tables.client,
      tableName: env.tables.names.ledger,
    });
    topic = recordingPublisher();
    const handler = createUsageSnapshotsHandler(
      {
        limits: cachedFamilyLimits(
          new DynamoFamilyLimits(env.tables.doc, env.tables.names.ledger),
          systemClock,
        ),
        publisher: topic.publisher,
        globalPolicy: env.deps.globalPolicy,
        clock: systemClock,
        settings: { retry: { maxAttempts: 3, baseDelayMs: 5 }, budgetMs: 5_000 },
      },
      createObservability('usage-snapshots-test'),
      (r) => reports.push(r),
    );
    publishFromStream = async () => {
      const { batchItemFailures } = await handler(await stream.readNew(), lambdaContext());
      expect(batchItemFailures).toEqual([]);
    };
    settle = (envelopes) => env.invoke(mskEvent(envelopes.map((e) => mskRecord(0, offset++, e))));
    const changes = createChangeEventsHandler(env.changeDeps, createObservability('change-snapshots'), {
      reportBatchItemFailures: true,
    });
    change = (value) => changes(mskEvent([changeRecord(value)]), lambdaContext());
  });
  afterAll(async () => {
    stream?.close();
    await env?.stop();
  });

  async function family(members: Array<{ customerId: number; policy?: object }>, quotaBytes = 10 * GB) {
    const familyId = nextFamilyId++;
    await env.families.putFamily({
      familyId,
      quotaBytes,
      members: members.map((m) => ({ ...m, customerId: familyId * 10 + m.customerId })),
    });
    // A family-level limit, as a policy event would set it: members without their own fall through to it.
    await env.tables.doc.send(
      new UpdateCommand({
        TableName: env.tables.names.ledger,
        Key: ledgerKeys.family(familyId),
        UpdateExpression: 'SET #p = :p',
        ExpressionAttributeNames: { '#p': 'policy' },
        ExpressionAttributeValues: { ':p': { monthlyLimitBytes: 4 * GB } },
      }),
    );
    return { familyId, member: (n: number) => familyId * 10 + n };
  }

  const snapshotsOf = (familyId: number) => topic.accepted.filter((s) => s.familyId === familyId);

  it('one entry per member a commit changed, with that commit figures and the block state of its latest event', async () => {
    const f = await family([
      { customerId: 1, policy: { monthlyLimitBytes: GB } },
      { customerId: 2 },
      { customerId: 3 },
    ]);
    await publishFromStream();
    reports = [];
    const result = await settle([
      usage(`a1-${f.familyId}`, f.familyId, f.member(1), 100 * 1024 ** 2),
      usage(`a2-${f.familyId}`, f.familyId, f.member(2), GB),
      usage(`a3-${f.familyId}`, f.familyId, f.member(1), 200 * 1024 ** 2),
      // Over member 1's own limit: blocked, nothing counted; it is the member's latest event.
      usage(`a4-${f.familyId}`, f.familyId, f.member(1), GB),
    ]);
    expect(result.batchItemFailures).toEqual([]);
    // Settlement returned before anything was published: the snapshots come from the stream.
    expect(snapshotsOf(f.familyId)).toEqual([]);

    await publishFromStream();

    const entries = snapshotsOf(f.familyId);
    expect(entries.map((s) => s.customerId).sort()).toEqual([f.member(1), f.member(2)]);
    const one = entries.find((s) => s.customerId === f.member(1));
    const two = entries.find((s) => s.customerId === f.member(2));
    const familyUsed = 300 * 1024 ** 2 + GB;
    expect(one).toMatchObject({
      period: period(),
      familyQuotaBytes: 10 * GB,
      familyUsedBytes: familyUsed,
      familyRemainingBytes: 10 * GB - familyUsed,
      familyUsedPercent: Math.round((familyUsed * 1000) / (10 * GB)) / 10,
      memberUsedBytes: 300 * 1024 ** 2,
      memberLimitBytes: GB,
      memberUsedPercent: 29.3,
      blocked: true,
      blockReason: 'MONTHLY_LIMIT_EXCEEDED',
    });
    // Member 2 has no limit of its own: the family's applies.
    expect(two).toMatchObject({
      memberUsedBytes: GB,
      memberLimitBytes: 4 * GB,
      memberUsedPercent: 25,
      blocked: false,
      blockReason: null,
    });
    expect(one?.version).toBe(two?.version);
    expect(reports).toEqual([expect.objectContaining({ published: 2, failed: 0, superseded: 0 })]);
  });

  it('a transaction that does not commit publishes nothing; the redelivery brings the member up to date', async () => {
    const broken = await family([{ customerId: 1 }]);
    const healthy = await family([{ customerId: 1 }]);
    // A period item whose member event counter is not a number: loading the state ignores it, but the
    // transaction's ADD to it is refused, so the decision is made and its commit fails.
    const corrupt = {
      ...ledgerKeys.familyPeriod(broken.familyId, period()),
      [`settled_${broken.member(1)}`]: 'corrupt',
    };
    await env.tables.doc.send(new PutCommand({ TableName: env.tables.names.ledger, Item: corrupt }));
    const batch = [
      usage(`lost-${broken.familyId}`, broken.familyId, broken.member(1), 5_000),
      usage(`kept-${healthy.familyId}`, healthy.familyId, healthy.member(1), 7_000),
    ];

    const first = await settle(batch);
    await publishFromStream();

    expect(first.batchItemFailures).toHaveLength(1);
    expect(await env.usage(broken.familyId, period())).toBe(0);
    expect(snapshotsOf(broken.familyId)).toEqual([]);
    expect(snapshotsOf(healthy.familyId)).toEqual([expect.objectContaining({ memberUsedBytes: 7_000 })]);

    await env.tables.doc.send(
      new DeleteCommand({
        TableName: env.tables.names.ledger,
        Key: ledgerKeys.familyPeriod(broken.familyId, period()),
      }),
    );
    await env.redis.redis.del(env.cache.keys.period(broken.familyId, period()));
    const again = await settle(batch);
    await publishFromStream();

    expect(again.batchItemFailures).toEqual([]);
    expect(snapshotsOf(broken.familyId)).toEqual([
      expect.objectContaining({ memberUsedBytes: 5_000, familyUsedBytes: 5_000, blocked: false }),
    ]);
  });

  it('a publish lost after its retries is superseded by the next commit, which carries the whole state', async () => {
    const f = await family([{ customerId: 1 }]);
    await publishFromStream();
    topic.refuse(3);
    reports = [];
    await settle([usage(`c1-${f.familyId}`, f.familyId, f.member(1), 1_000)]);
    await publishFromStream();

    expect(await env.usage(f.familyId, period())).toBe(1_000);
    expect(snapshotsOf(f.familyId)).toEqual([]);
    expect(reports).toEqual([expect.objectContaining({ published: 0, failed: 1 })]);

    await settle([usage(`c2-${f.familyId}`, f.familyId, f.member(1), 2_000)]);
    await publishFromStream();
    expect(snapshotsOf(f.familyId)).toEqual([
      expect.objectContaining({ memberUsedBytes: 3_000, familyUsedBytes: 3_000 }),
    ]);
  });

  it('a refused publish is retried within the invocation', async () => {
    const f = await family([{ customerId: 1 }, { customerId: 2 }]);
    await publishFromStream();
    topic.refuse(1);
    reports = [];
    await settle([
      usage(`t1-${f.familyId}`, f.familyId, f.member(1), 1_000),
      usage(`t2-${f.familyId}`, f.familyId, f.member(2), 1_000),
    ]);
    await publishFromStream();
    expect(snapshotsOf(f.familyId)).toHaveLength(2);
    expect(reports).toEqual([expect.objectContaining({ published: 2, failed: 0 })]);
  });

  it('commits of one stream batch give one entry per member: the newest commit figures under its version', async () => {
    const f = await family([{ customerId: 1 }]);
    await publishFromStream();
    reports = [];
    for (let i = 0; i < 3; i++) await settle([usage(`s${i}-${f.familyId}`, f.familyId, f.member(1), 1_000)]);
    await publishFromStream();
    expect(snapshotsOf(f.familyId)).toEqual([expect.objectContaining({ memberUsedBytes: 3_000 })]);
    expect(reports).toEqual([expect.objectContaining({ published: 1, superseded: 2 })]);
  });

  it('a commit that moves the version and changes no screen publishes nothing', async () => {
    const f = await family([{ customerId: 1 }]);
    await settle([usage(`p0-${f.familyId}`, f.familyId, f.member(1), 1_000)]);
    await publishFromStream();
    const before = snapshotsOf(f.familyId).length;
    await env.tables.doc.send(
      new UpdateCommand({
        TableName: env.tables.names.ledger,
        Key: ledgerKeys.familyPeriod(f.familyId, period()),
        UpdateExpression: 'SET ver = ver + :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    await publishFromStream();
    expect(snapshotsOf(f.familyId)).toHaveLength(before);
  });

  it('a consumer keeping the highest version ends at the newest state under redelivery and reordering', async () => {
    const f = await family([{ customerId: 1 }]);
    const events = Array.from({ length: 5 }, (_, i) =>
      usage(`v${i}-${f.familyId}`, f.familyId, f.member(1), 1_000 * (i + 1)),
    );
    for (const e of events) {
      await settle([e]);
      await publishFromStream();
    }
    // Kafka redelivers the last two: duplicates commit nothing, so nothing new is published for them.
    await settle(events.slice(3));
    await publishFromStream();
    const published = snapshotsOf(f.familyId);
    expect(published).toHaveLength(5);
    const versions = published.map((s) => s.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(5);

    const ledgerUsed = (await env.memberUsage(f.familyId, period(), f.member(1)))?.usedBytes;
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (let round = 0; round < 20; round++) {
      // Every entry delivered once or twice, in a random order.
      const deliveries = [...published, ...published.filter(() => random() < 0.5)].sort(() => random() - 0.5);
      const screen = new Map<string, UsageSnapshot>();
      for (const s of deliveries) {
        const key = `${s.familyId}/${s.customerId}`;
        const shown = screen.get(key);
        if (!shown || s.version > shown.version) screen.set(key, s);
      }
      expect(screen.get(`${f.familyId}/${f.member(1)}`)?.memberUsedBytes).toBe(ledgerUsed);
    }
    expect(ledgerUsed).toBe(15_000);
  });

  it('a member who moves to another family mid-month gets higher versions there than in the old one', async () => {
    const from = await family([{ customerId: 1 }, { customerId: 2 }]);
    const moving = from.member(2);
    // The old family is busy: many commits, so its period version is high.
    for (let i = 0; i < 6; i++) {
      await settle([usage(`busy${i}-${from.familyId}`, from.familyId, moving, 1_000)]);
      await publishFromStream();
    }
    const to = nextFamilyId++;
    await env.families.putFamily({ familyId: to, quotaBytes: 10 * GB, members: [{ customerId: moving }] });
    await settle([usage(`moved-${to}`, to, moving, 5_000)]);
    await publishFromStream();

    const inOld = snapshotsOf(from.familyId).filter((s) => s.customerId === moving);
    const [inNew] = snapshotsOf(to);
    expect(inOld).toHaveLength(6);
    expect(inNew?.memberUsedBytes).toBe(5_000);
    // A consumer keeping the highest version per member shows the new family.
    expect(inNew?.version).toBeGreaterThan(Math.max(...inOld.map((s) => s.version)));
  });

  it('a retroactive block, a lowered limit and a new quota update the screens of the members they affect', async () => {
    const f = await family([{ customerId: 1 }, { customerId: 2 }]);
    await settle([usage(`r1-${f.familyId}`, f.familyId, f.member(1), 600 * 1024 ** 2)]);
    await publishFromStream();
    const before = snapshotsOf(f.familyId);
    expect(before).toHaveLength(1);

    // The parent lowers member 1's limit below what it used: blocked now, with the new limit on screen.
    const lowered = policyUpdated(
      `lim-${f.familyId}`,
      { familyId: f.familyId, customerId: f.member(1) },
      'LIMIT:DATA:MONTHLY',
      String(500 * 1024 ** 2),
    );
    expect(await change(lowered)).toEqual({ batchItemFailures: [] });
    await publishFromStream();
    const [limited] = snapshotsOf(f.familyId).slice(1);
    expect(limited).toMatchObject({
      customerId: f.member(1),
      memberUsedBytes: 600 * 1024 ** 2,
      memberLimitBytes: 500 * 1024 ** 2,
      blocked: true,
      blockReason: 'MONTHLY_LIMIT_EXCEEDED',
    });
    expect(limited?.version).toBeGreaterThan(before[0]?.version ?? Number.POSITIVE_INFINITY);

    // A new quota changes every member's screen: the pool is smaller for both.
    const quota = familyEvent(`quota-${f.familyId}`, 'QUOTA_CHANGED', {
      familyId: f.familyId,
      totalQuotaBytes: GB,
    });
    expect(await change(quota)).toEqual({ batchItemFailures: [] });
    await publishFromStream();
    const requoted = snapshotsOf(f.familyId).slice(2);
    expect(requoted.map((s) => [s.customerId, s.familyQuotaBytes, s.blockReason]).sort()).toEqual(
      [
        [f.member(1), GB, 'MONTHLY_LIMIT_EXCEEDED'],
        [f.member(2), GB, null],
      ].sort(),
    );
    // A time window shows nowhere on the screen: nothing is published for it.
    const night = policyUpdated(`win-${f.familyId}`, { familyId: f.familyId }, 'BLOCK:TIME', '2300-0600');
    expect(await change(night)).toEqual({ batchItemFailures: [] });
    await publishFromStream();
    expect(snapshotsOf(f.familyId)).toHaveLength(4);
  });

  it('a top-up unblocks an empty pool on screen; a new member and zero-rated usage show too', async () => {
    const f = await family([{ customerId: 1 }], 10 * 1024 ** 2);
    expect(
      await change(policyUpdated(`zr-${f.familyId}`, { familyId: f.familyId }, 'ZERO_RATE:APP', 'net.chat')),
    ).toEqual({ batchItemFailures: [] });
    await settle([
      usage(`z1-${f.familyId}`, f.familyId, f.member(1), 10 * 1024 ** 2),
      // The pool is empty now: blocked.
      usage(`z2-${f.familyId}`, f.familyId, f.member(1), 1_000),
    ]);
    await publishFromStream();
    expect(snapshotsOf(f.familyId).at(-1)).toMatchObject({
      familyRemainingBytes: 0,
      blocked: true,
      blockReason: 'FAMILY_QUOTA_EXCEEDED',
    });

    // A zero-rated app is allowed on an empty pool: shown beside the usage, never as a block.
    await settle([usage(`z3-${f.familyId}`, f.familyId, f.member(1), 3_000, { appId: 'net.chat' })]);
    await publishFromStream();
    expect(snapshotsOf(f.familyId).at(-1)).toMatchObject({
      memberUsedBytes: 10 * 1024 ** 2,
      memberZeroRatedBytes: 3_000,
      blocked: false,
      blockReason: null,
    });

    const shown = snapshotsOf(f.familyId).length;
    const topup = familyEvent(`top-${f.familyId}`, 'TOPUP_ADDED', {
      familyId: f.familyId,
      topupId: `order-${f.familyId}`,
      bytes: 5 * 1024 ** 2,
    });
    expect(await change(topup)).toEqual({ batchItemFailures: [] });
    await publishFromStream();
    const [topped] = snapshotsOf(f.familyId).slice(shown);
    expect(topped).toMatchObject({
      customerId: f.member(1),
      familyQuotaBytes: 10 * 1024 ** 2,
      familyTopupBytes: 5 * 1024 ** 2,
      familyPoolBytes: 15 * 1024 ** 2,
      familyRemainingBytes: 5 * 1024 ** 2,
      memberZeroRatedBytes: 3_000,
      blocked: false,
      blockReason: null,
    });

    // A member joining sees the family's pool at once, with the top-up.
    const joined = familyEvent(`join-${f.familyId}`, 'MEMBER_JOINED', {
      familyId: f.familyId,
      customerId: f.member(2),
    });
    expect(await change(joined)).toEqual({ batchItemFailures: [] });
    await publishFromStream();
    const [newcomer, ...others] = snapshotsOf(f.familyId).slice(shown + 1);
    expect(others).toEqual([]);
    expect(newcomer).toMatchObject({
      customerId: f.member(2),
      familyPoolBytes: 15 * 1024 ** 2,
      memberUsedBytes: 0,
      blocked: false,
    });
    expect(newcomer?.version).toBeGreaterThan(topped?.version ?? Number.POSITIVE_INFINITY);
  });

  it('a correction refunds on screen: the member and the family figures follow, and the block lifts', async () => {
    const f = await family([{ customerId: 1 }, { customerId: 2 }], 10 * 1024 ** 2);
    const double = usage(`d1-${f.familyId}`, f.familyId, f.member(1), 6 * 1024 ** 2);
    await settle([
      double,
      usage(`d2-${f.familyId}`, f.familyId, f.member(2), 4 * 1024 ** 2),
      usage(`d3-${f.familyId}`, f.familyId, f.member(2), 1_000),
    ]);
    await publishFromStream();
    const shown = snapshotsOf(f.familyId).length;

    await settle([correction(`c1-${f.familyId}`, f.familyId, f.member(1), double.eventId, 0)]);
    await publishFromStream();
    const after = snapshotsOf(f.familyId).slice(shown);
    expect(after.map((s) => s.customerId).sort()).toEqual([f.member(1), f.member(2)]);
    expect(after.find((s) => s.customerId === f.member(1))).toMatchObject({
      memberUsedBytes: 0,
      familyRemainingBytes: 6 * 1024 ** 2,
      blocked: false,
    });
    expect(after.find((s) => s.customerId === f.member(2))).toMatchObject({
      memberUsedBytes: 4 * 1024 ** 2,
      blocked: false,
      blockReason: null,
    });
  });
});
