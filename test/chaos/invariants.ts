import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoHeldChanges } from '../../functions/adapters/dynamodb/held-changes';
import { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import { readPeriodUsage } from '../../functions/adapters/dynamodb/period-usage';
import { drainDeadLetters } from '../../functions/adapters/sqs/dead-letter-drain';
import type { HeldChange } from '../../functions/core/changes/held-changes';
import { decodeBase64Utf8, type MskRecord } from '../../functions/core/kafka-record';
import { OUTBOX_STATUS } from '../../functions/core/outbox/item';
import type { DeadLetter } from '../../functions/core/ports';
import { REJECTION_REASONS } from '../../functions/core/rejection';
import { ZERO_RATED } from '../../functions/core/status-effects';
import { periodOf, shiftPeriod } from '../../functions/core/time';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';
import {
  checkConsistency,
  classifyRecords,
  correctionsOf,
  type StoreReaders,
  settlementsOf,
} from '../../local/summary';
import { judgeDecisions } from './decision-oracle';
import { allowsWireDuplicates } from './scenarios';
import type { World } from './world';

export const INVARIANTS = [
  'decision = reference model',
  'rejection = reference model',
  'settled in delivery order',
  'one settlement per valid event',
  'ledger usage = allowed settlements',
  'Redis = ledger, no repair',
  'owed notification: one outbox item, SENT',
  'no notification without settlement or change',
  'published id = one outbox item',
  'rejected event in DLQ with reason',
  'received = settled+rejected+skipped+dup',
  'change: applied once, or stale, or rejected',
  'change notification = reference model',
] as const;

export type Invariant = (typeof INVARIANTS)[number];

export interface Verdict {
  readonly violations: Record<Invariant, number>;
  readonly examples: string[];
  readonly wireDuplicates: number;
  /** Redis states at another version than the ledger's (refused at their next commit, then reloaded). */
  readonly outdatedStates: number;
  /** Events whose decision was compared with the reference model. */
  readonly decisionsChecked: number;
  readonly notificationsSent: number;
  /** Settled events decided from the ledger alone (degraded mode), so a run shows it was exercised. */
  readonly degradedDecisions: number;
  /** Zero-rated decisions and members unblocked by a top-up, so a run shows they were exercised. */
  readonly zeroRatedDecisions: number;
  readonly topupUnblocks: number;
  /** Corrections applied, and members they unblocked. */
  readonly correctionsApplied: number;
  readonly correctionUnblocks: number;
}

async function drainDeadLettersOf(world: World): Promise<DeadLetter[]> {
  const sqs = new SQSClient({
    endpoint: world.queue.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    return await drainDeadLetters(sqs, world.queue.url);
  } finally {
    sqs.destroy();
  }
}

const envelopeOf = (record: MskRecord): { eventId?: string; eventType?: string } => {
  const decoded = record.value === null ? null : decodeBase64Utf8(record.value);
  try {
    return decoded?.ok ? JSON.parse(decoded.text) : {};
  } catch {
    return {};
  }
};

/**
 * Checks the promises of the product against what the stores, the bus and
 * the dead-letter queue hold after the run has settled.
 */
export async function checkInvariants(world: World): Promise<Verdict> {
  const violations = Object.fromEntries(INVARIANTS.map((i) => [i, 0])) as Record<Invariant, number>;
  const examples: string[] = [];
  const violate = (invariant: Invariant, example: string) => {
    violations[invariant]++;
    if (examples.length < 10) examples.push(`${invariant}: ${example}`);
  };

  const readers: StoreReaders = {
    doc: world.doc,
    ledgerTable: world.tables.ledger,
    outbox: world.outboxStore,
    redis: world.redis,
    keys: world.cache.keys,
  };
  const period = periodOf(world.nowMs, 'Asia/Seoul');
  const periods = [shiftPeriod(period, -2), shiftPeriod(period, -1), period];
  const records = world.topic.logs.flat();
  const letters = await drainDeadLettersOf(world);

  const settlements = new Map<string, Record<string, unknown>>();
  for (const familyId of world.familyIds) {
    for (const p of periods)
      for (const s of await settlementsOf(readers, familyId, p)) settlements.set(String(s.eventId), s);
  }
  const corrections = await correctionsOf(readers);
  /** What a settled event counts: its amount, or what its latest correction set. */
  const counted = (s: Record<string, unknown>) => Number(s.correctedBytes ?? s.bytesUsed);

  // One settlement per valid event (the key makes a second one impossible; a missing one is the risk).
  // An event of a member who left is not valid; the reference model checks its rejection.
  const usageLetters = letters.filter((l) => l.record.topic === world.topic.name);
  // A redelivered record is rejected again, maybe from a newer state: its first rejection is the one that counts.
  const letterAt = new Map<string, DeadLetter>();
  for (const letter of usageLetters) {
    const key = `${letter.record.partition}:${letter.record.offset}`;
    const other = letterAt.get(key);
    if (!other || (letter.decidedAtVersion ?? 0) < (other.decidedAtVersion ?? 0)) letterAt.set(key, letter);
  }
  for (const record of records) {
    const kind = world.kinds.get(`${record.partition}:${record.offset}`);
    const envelope = envelopeOf(record);
    const settled = envelope.eventId !== undefined && settlements.has(envelope.eventId);
    const leftFamily = letterAt.get(`${record.partition}:${record.offset}`)?.reason === 'NOT_A_MEMBER';
    if (kind === 'correction' && !corrections.has(String(envelope.eventId))) {
      const letter = letterAt.get(`${record.partition}:${record.offset}`);
      if (!letter) violate('one settlement per valid event', `correction ${envelope.eventId} has no fate`);
    }
    if (
      (kind === 'usage' || kind === 'duplicate') &&
      envelope.eventType === 'DATA_USAGE' &&
      !settled &&
      !leftFamily
    ) {
      violate(
        'one settlement per valid event',
        `${envelope.eventId} at ${record.partition}:${record.offset} has none`,
      );
    }
    if (kind === 'malformed' || kind === 'ahead') {
      if (settled) violate('one settlement per valid event', `${kind} ${envelope.eventId} was settled`);
      const letter = letterAt.get(`${record.partition}:${record.offset}`);
      const reasons: ReadonlyArray<string> = kind === 'ahead' ? ['OUT_OF_WINDOW'] : REJECTION_REASONS;
      if (!letter || !reasons.includes(letter.reason) || letter.message === '') {
        violate(
          'rejected event in DLQ with reason',
          `${record.partition}:${record.offset} (${kind}) not dead-lettered with a reason`,
        );
      }
    }
  }

  // Ledger usage equals the sum of allowed settlements, per family and per member.
  for (const familyId of world.familyIds) {
    for (const p of periods) {
      const own = [...settlements.values()].filter(
        (s) => s.familyId === familyId && s.period === p && s.counted === true,
      );
      const expected = own.reduce((sum, s) => sum + counted(s), 0);
      const { Item } = await world.doc.send(
        new GetCommand({ TableName: world.tables.ledger, Key: ledgerKeys.familyPeriod(familyId, p) }),
      );
      if (Number(Item?.usedBytes ?? 0) !== expected) {
        violate(
          'ledger usage = allowed settlements',
          `family ${familyId} ${p}: ${Item?.usedBytes} != ${expected}`,
        );
      }
      const byMember = new Map<number, number>();
      for (const s of own)
        byMember.set(Number(s.customerId), (byMember.get(Number(s.customerId)) ?? 0) + counted(s));
      const members = readPeriodUsage(familyId, p, Item).members;
      for (const [customerId, bytes] of byMember) {
        const recorded = members.get(customerId)?.usedBytes ?? 0;
        if (recorded !== bytes) {
          violate('ledger usage = allowed settlements', `member ${customerId} ${p}: ${recorded} != ${bytes}`);
        }
      }
      // Zero-rated usage is recorded per member, apart from what the pool and the limits count.
      const zeroRated = new Map<number, number>();
      for (const s of settlements.values()) {
        if (s.familyId !== familyId || s.period !== p || s.decision !== ZERO_RATED) continue;
        zeroRated.set(Number(s.customerId), (zeroRated.get(Number(s.customerId)) ?? 0) + Number(s.bytesUsed));
      }
      for (const [customerId, member] of members) {
        const expected = zeroRated.get(customerId) ?? 0;
        if (member.zeroRatedBytes !== expected) {
          violate(
            'ledger usage = allowed settlements',
            `member ${customerId} ${p}: zero-rated ${member.zeroRatedBytes} != ${expected}`,
          );
        }
      }
    }
  }

  // Redis agrees with the ledger as the run left it, with no repair by an operator.
  const consistency = await checkConsistency(readers, world.familyIds, periods);
  for (const difference of consistency.differences) violate('Redis = ledger, no repair', difference);

  // Every decision is the one the reference model makes, applying the events one at a time in delivery order.
  const oracle = judgeDecisions({
    families: world.families as unknown as Parameters<typeof judgeDecisions>[0]['families'],
    periods,
    logs: world.topic.logs,
    kindOf: (record) => world.kinds.get(`${record.partition}:${record.offset}`),
    settlements,
    corrections,
    letters: letterAt,
    changes: world.appliedChanges,
  });
  for (const m of oracle.decisionMismatches) violate('decision = reference model', m);
  for (const m of oracle.rejectionMismatches) violate('rejection = reference model', m);
  for (const m of oracle.orderViolations) violate('settled in delivery order', m);
  for (const m of oracle.notificationMismatches) violate('change notification = reference model', m);
  const held = new Map<string, HeldChange>();
  const members = new Set<string>();
  const store = new DynamoHeldChanges(world.doc, world.tables.ledger);
  const ledger = new DynamoLedger(world.doc, world.tables);
  for (const familyId of world.familyIds) {
    for (const h of await store.heldFor(familyId)) held.set(h.eventId, h);
    for (const m of (await ledger.loadDirectory(familyId)).members)
      members.add(`${familyId}:${m.customerId}`);
  }
  for (const m of checkChangeOutcomes(world, letters, held, members)) {
    violate('change: applied once, or stale, or rejected', m);
  }

  // Every owed notification has exactly one outbox item (keyed by its id) and it was sent.
  const owed = [...settlements.values()].filter((s) => typeof s.notificationId === 'string');
  const owedByChanges = [
    ...world.appliedChanges.flatMap((c) =>
      c.notifications.map((n) => ({ eventId: c.change.eventId, notificationId: n.notificationId })),
    ),
    ...[...corrections.values()].flatMap((c) =>
      ((c.notificationIds as string[] | undefined) ?? []).map((notificationId) => ({
        eventId: String(c.eventId),
        notificationId,
      })),
    ),
  ];
  for (const s of [...owed, ...owedByChanges]) {
    const item = await world.outboxStore.get(String(s.notificationId));
    if (!item) violate('owed notification: one outbox item, SENT', `${s.eventId} has no outbox item`);
    else if (item.status !== OUTBOX_STATUS.sent) {
      violate(
        'owed notification: one outbox item, SENT',
        `${item.notificationId} is ${item.status} (${item.lastError ?? ''})`,
      );
    }
  }

  // What reached the bus was settled, maps to one outbox item, and arrived once unless a publisher crashed.
  const owedIds = new Set([...owed, ...owedByChanges].map((s) => String(s.notificationId)));
  const changeNotifications = new Set(owedByChanges.map((n) => n.notificationId));
  const seen = new Map<string, number>();
  for (const event of world.bus.accepted) {
    const id = event.detail.notificationId;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    const data = event.detail.data as { originEventId?: string } | undefined;
    const settlement = settlements.get(String(data?.originEventId));
    if ((!settlement || settlement.notificationId !== id) && !changeNotifications.has(id)) {
      violate('no notification without settlement or change', `${id} for ${data?.originEventId}`);
    }
    if (!owedIds.has(id)) violate('published id = one outbox item', `${id} has no outbox item`);
  }
  const wireDuplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  if (wireDuplicates > 0 && !allowsWireDuplicates(world.scenario)) {
    violate(
      'published id = one outbox item',
      `${wireDuplicates} duplicates on the wire without a publisher crash`,
    );
  }

  // Nothing lost: every record is settled, a duplicate, rejected or skipped.
  const classified = await classifyRecords(readers, records, letters, world.familyIds, periods);
  const settled = Object.values(classified.byDecision).reduce((a, b) => a + b, 0);
  const rejected = Object.values(classified.byReason).reduce((a, b) => a + b, 0);
  const correctionFates = classified.corrected.applied + classified.corrected.superseded;
  if (
    classified.lost > 0 ||
    settled + correctionFates + rejected + classified.skipped + classified.duplicates !== records.length
  ) {
    violate('received = settled+rejected+skipped+dup', `${classified.lost} lost of ${records.length}`);
  }

  return {
    violations,
    examples,
    wireDuplicates,
    outdatedStates: consistency.outdated,
    decisionsChecked: oracle.checked,
    notificationsSent: seen.size,
    degradedDecisions: [...settlements.values()].filter((s) => s.decidedFrom === 'ledger').length,
    zeroRatedDecisions: [...settlements.values()].filter((s) => s.decision === ZERO_RATED).length,
    topupUnblocks: oracle.topupUnblocks,
    correctionsApplied: oracle.correctionsApplied,
    correctionUnblocks: oracle.correctionUnblocks,
  };
}

interface ChangeEnvelope {
  readonly eventId?: string;
  readonly eventType?: string;
  readonly timestamp?: string;
  readonly payload?: {
    familyId?: number | null;
    customerId?: number;
    targetCustomerId?: number | null;
    policyKey?: string;
    topupId?: string;
    bytes?: number;
  };
}

/** The value a change event changes; events of one value are ordered by (timestamp, eventId). */
function changedValue(e: ChangeEnvelope): string {
  const p = e.payload ?? {};
  if (e.eventType === 'POLICY_UPDATED')
    return `policy:${p.familyId}:${p.targetCustomerId ?? 'F'}:${p.policyKey}`;
  if (e.eventType === 'QUOTA_CHANGED') return `quota:${p.familyId}`;
  return `member:${p.familyId}:${p.customerId}`;
}

/**
 * Every policy or family record was applied exactly once, or ignored because
 * the ledger already held a change of the same value at least as new, or
 * dead-lettered because its member had left, or still waits in the ledger
 * for a member who is not in the family now. Judged from the records and
 * what the run committed, not from the function's own counters.
 */
function checkChangeOutcomes(
  world: World,
  letters: ReadonlyArray<DeadLetter>,
  held: ReadonlyMap<string, HeldChange>,
  members: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const appliedCount = new Map<string, number>();
  for (const { change } of world.appliedChanges) {
    appliedCount.set(change.eventId, (appliedCount.get(change.eventId) ?? 0) + 1);
  }
  for (const [eventId, count] of appliedCount) {
    if (count > 1) problems.push(`${eventId} applied ${count} times`);
  }
  const newestApplied = new Map<string, string>();
  const versionOf = (e: ChangeEnvelope) => `${Date.parse(String(e.timestamp))}#${e.eventId}`;
  const records = Object.values(world.changeTopics).flatMap((t) => t.logs.flat());
  const envelopes = records.map((r) => ({ record: r, envelope: envelopeOf(r) as ChangeEnvelope }));
  for (const { envelope } of envelopes) {
    if (!appliedCount.has(String(envelope.eventId))) continue;
    const value = changedValue(envelope);
    const version = versionOf(envelope);
    const newest = newestApplied.get(value);
    if (newest === undefined || compareVersions(newest, version) < 0) newestApplied.set(value, version);
  }
  // Membership changes the run made outside the topics (a scenario's removals) make older records stale too.
  for (const { change } of world.appliedChanges) {
    if (change.kind !== 'member-left' && change.kind !== 'member-joined') continue;
    const value = `member:${change.familyId}:${change.customerId}`;
    const version = `${change.timestampMs}#${change.eventId}`;
    const newest = newestApplied.get(value);
    if (newest === undefined || compareVersions(newest, version) < 0) newestApplied.set(value, version);
  }
  const leftMembers = new Set(
    world.appliedChanges.flatMap(({ change }) =>
      change.kind === 'member-left' ? [`${change.familyId}:${change.customerId}`] : [],
    ),
  );
  const rejected = new Map(
    letters
      .filter((l) => l.record.topic !== world.topic.name)
      .map((l) => [`${l.record.topic}:${l.record.partition}:${l.record.offset}`, l]),
  );
  const topups = new Map<string, { bytes: number; applied: number }>();
  for (const { change } of world.appliedChanges) {
    if (change.kind !== 'topup-added') continue;
    const known = topups.get(change.topupId);
    topups.set(change.topupId, { bytes: change.bytes, applied: (known?.applied ?? 0) + 1 });
  }
  for (const [topupId, { applied }] of topups) {
    if (applied > 1) problems.push(`top-up ${topupId} applied ${applied} times`);
  }
  for (const { record, envelope } of envelopes) {
    if (appliedCount.has(String(envelope.eventId))) continue;
    if (envelope.eventType === 'TOPUP_ADDED') {
      const problem = topupOutcome(
        envelope,
        topups,
        rejected.get(`${record.topic}:${record.partition}:${record.offset}`),
      );
      if (problem) problems.push(problem);
      continue;
    }
    const waiting = held.get(String(envelope.eventId));
    if (waiting) {
      const p = envelope.payload ?? {};
      if (members.has(`${p.familyId}:${p.targetCustomerId}`)) {
        problems.push(`${envelope.eventId} still waits for ${p.targetCustomerId}, who is a member`);
      }
      continue;
    }
    const letter = rejected.get(`${record.topic}:${record.partition}:${record.offset}`);
    if (letter) {
      const p = envelope.payload ?? {};
      if (letter.reason !== 'NOT_A_MEMBER' || !leftMembers.has(`${p.familyId}:${p.targetCustomerId}`)) {
        problems.push(`${envelope.eventId} dead-lettered as ${letter.reason}: ${letter.message}`);
      }
      continue;
    }
    // Zero-padding aside, versions of one value compare as (timestamp, eventId): compare those.
    const newest = newestApplied.get(changedValue(envelope));
    if (newest === undefined || compareVersions(newest, versionOf(envelope)) < 0) {
      problems.push(`${envelope.eventId} (${changedValue(envelope)}) neither applied, stale nor rejected`);
    }
  }
  return problems;
}

/** A top-up record not applied: the same purchase sent again, or the same id with other bytes, refused. */
function topupOutcome(
  envelope: ChangeEnvelope,
  applied: ReadonlyMap<string, { bytes: number }>,
  letter: DeadLetter | undefined,
): string | null {
  const { topupId, bytes } = envelope.payload ?? {};
  const taken = applied.get(String(topupId));
  if (!taken) return `top-up ${topupId} (${envelope.eventId}) never applied`;
  if (taken.bytes === bytes)
    return letter ? `replay ${envelope.eventId} dead-lettered as ${letter.reason}` : null;
  return letter?.reason === 'TOPUP_CONFLICT'
    ? null
    : `${envelope.eventId}: top-up ${topupId} with other bytes got ${letter?.reason ?? 'no letter'}`;
}

function compareVersions(a: string, b: string): number {
  const [at, ai] = a.split('#') as [string, string];
  const [bt, bi] = b.split('#') as [string, string];
  return Number(at) - Number(bt) || (ai < bi ? -1 : ai > bi ? 1 : 0);
}
