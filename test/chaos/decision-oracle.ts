import type { Change } from '../../functions/core/changes/change-event';
import type { PolicyValue } from '../../functions/core/changes/policy-keys';
import type { MskRecord } from '../../functions/core/kafka-record';
import type { DeadLetter } from '../../functions/core/ports';
import type { CommittedChange } from '../helpers/recording-change-store';
import {
  type ModelEvent,
  type ModelPeriodStart,
  type ModelPolicy,
  NO_MODEL_POLICY,
  SettlementModel,
} from '../model/settlement-model';

/** A family or policy change the ledger committed during the run, and where it falls. */
export interface AppliedChange {
  readonly change: Change;
  readonly familyId: number | null;
  /** The version of each live period the change produced: it precedes decisions made at it or later. */
  readonly versions: ReadonlyMap<string, number>;
  readonly currentPeriod: string;
  /** The notifications it staged: id, type, customer and reason. */
  readonly notifications: ReadonlyArray<{
    notificationId: string;
    type: string;
    customerId: number | null;
    reason?: string;
  }>;
}

export function appliedChangeOf({ plan, outbox, nowMs }: CommittedChange): AppliedChange {
  return {
    change: plan.change,
    familyId: plan.familyId,
    versions: new Map(plan.periods.map((p) => [p.period, p.versionBefore + 1])),
    // The period of the instant it was planned at: early in a month three periods are live, not two.
    currentPeriod: timeOf(new Date(nowMs).toISOString()).period,
    notifications: outbox.map((o) => ({
      notificationId: o.notificationId,
      type: o.type,
      customerId: o.customerId,
      ...('reason' in o.data && o.data.reason ? { reason: o.data.reason } : {}),
    })),
  };
}

/**
 * Replays every family's records through the reference model, one at a time
 * in delivery (offset) order, with the family changes of the run applied at
 * the point of the stream where they took effect, and compares each record's
 * fate with what the run left in the ledger and the dead-letter queue: the
 * same decision (status, counted, bytes, notification, alert markers) for
 * every settled event, the same rejection for every member who is not one.
 *
 * Time is read here independently of the product: Asia/Seoul is UTC+9 all
 * year, a zoneless timestamp is Seoul wall-clock time.
 */

const SEOUL_MS = 9 * 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');

interface OracleFamily {
  readonly familyId: number;
  readonly quotaBytes: number;
  readonly members: ReadonlyArray<{ readonly customerId: number; readonly policy: Record<string, unknown> }>;
}

export interface OracleInput {
  /** Family and policy changes in the order the ledger committed them. */
  readonly changes?: ReadonlyArray<AppliedChange>;
  readonly families: ReadonlyArray<OracleFamily>;
  readonly periods: ReadonlyArray<string>;
  /** The topic's partitions, each in offset order. */
  readonly logs: ReadonlyArray<ReadonlyArray<MskRecord>>;
  readonly kindOf: (record: MskRecord) => string | undefined;
  readonly settlements: ReadonlyMap<string, Record<string, unknown>>;
  /** The ledger's correction records, by the correction's eventId. */
  readonly corrections?: ReadonlyMap<string, Record<string, unknown>>;
  readonly letters: ReadonlyMap<string, DeadLetter>;
}

export interface OracleVerdict {
  checked: number;
  readonly decisionMismatches: string[];
  readonly rejectionMismatches: string[];
  readonly orderViolations: string[];
  /** Retroactive notifications of a change that differ from the model's. */
  readonly notificationMismatches: string[];
  /** Members a top-up unblocked, so a run shows top-ups were exercised. */
  topupUnblocks: number;
  /** Corrections the model applied, and members they unblocked. */
  correctionsApplied: number;
  correctionUnblocks: number;
}

interface Envelope {
  readonly eventId: string;
  readonly eventType: string;
  readonly timestamp: string;
  readonly payload: {
    familyId: number;
    customerId: number;
    appId?: string | null;
    bytesUsed: number;
    correctsEventId?: string;
  };
}

function parse(record: MskRecord): Envelope | null {
  if (record.value === null) return null;
  try {
    return JSON.parse(Buffer.from(record.value, 'base64').toString('utf8')) as Envelope;
  } catch {
    return null;
  }
}

/** Epoch ms, period and local HHmm of an event timestamp, read as the contract says. */
function timeOf(timestamp: string): { ms: number; period: string; hhmm: string } {
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(timestamp);
  const ms = zoned ? Date.parse(timestamp) : Date.parse(`${timestamp}Z`) - SEOUL_MS;
  const local = new Date(ms + SEOUL_MS);
  return {
    ms,
    period: `${local.getUTCFullYear()}${pad(local.getUTCMonth() + 1)}`,
    hhmm: `${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}`,
  };
}

const at = (r: MskRecord) => `${r.partition}:${r.offset}`;

function modelOf(family: OracleFamily, periods: ReadonlyArray<string>): SettlementModel {
  const starts: ModelPeriodStart[] = periods.map((period) => ({
    period,
    quota: family.quotaBytes,
    familyUsedBytes: 0,
    members: family.members.map((m) => ({
      customerId: m.customerId,
      policy: {
        limit: typeof m.policy.monthlyLimitBytes === 'number' ? m.policy.monthlyLimitBytes : null,
        manual: m.policy.manualBlock === true,
        window: (m.policy.blockWindow as { start: string; end: string } | undefined) ?? null,
        blockedApps: (m.policy.blockedApps as string[] | undefined) ?? [],
        zeroRatedApps: (m.policy.zeroRatedApps as string[] | undefined) ?? [],
      },
      usedBytes: 0,
      alerts: [],
    })),
  }));
  return new SettlementModel(starts);
}

export function judgeDecisions(input: OracleInput): OracleVerdict {
  const verdict: OracleVerdict = {
    checked: 0,
    decisionMismatches: [],
    rejectionMismatches: [],
    orderViolations: [],
    notificationMismatches: [],
    topupUnblocks: 0,
    correctionsApplied: 0,
    correctionUnblocks: 0,
  };
  checkChangeOrder(input.changes ?? [], verdict);
  const records = input.logs.flat();
  const envelopes = new Map(records.map((r) => [r, parse(r)] as const));
  for (const family of input.families) {
    const model = modelOf(family, input.periods);
    const changes = (input.changes ?? []).filter((c) => c.familyId === family.familyId);
    const lastDecidedAt = new Map<string, { version: number; at: string }>();
    const firstSeenAt = new Map<string, string>();
    for (const record of records) {
      const kind = input.kindOf(record);
      const envelope = envelopes.get(record);
      if (!envelope || envelope.payload?.familyId !== family.familyId) continue;
      if (kind === 'correction' && envelope.eventType === 'USAGE_CORRECTED') {
        const recorded = input.corrections?.get(envelope.eventId);
        const kafka = recorded?.kafka as { partition?: number; offset?: number } | undefined;
        const mine = kafka?.partition === record.partition && kafka?.offset === record.offset;
        const decidedAt =
          mine && typeof recorded?.decidedAtVersion === 'number' ? recorded.decidedAtVersion : null;
        // The changes committed before the correction's transaction, as for a decision.
        while (decidedAt !== null && changes.length > 0) {
          const period = String(recorded?.period);
          const version = changes.find((c) => c.versions.has(period))?.versions.get(period);
          if (version === undefined || version > decidedAt) break;
          applyChange(model, changes.shift() as AppliedChange, verdict);
        }
        verdict.checked++;
        judgeCorrection(model, envelope, record, input, verdict);
        continue;
      }
      if ((kind !== 'usage' && kind !== 'duplicate') || envelope.eventType !== 'DATA_USAGE') continue;
      const time = timeOf(envelope.timestamp);
      const event: ModelEvent = {
        eventId: envelope.eventId,
        customerId: envelope.payload.customerId,
        appId: envelope.payload.appId ?? null,
        bytes: envelope.payload.bytesUsed,
        eventTimeMs: time.ms,
        period: time.period,
        hhmm: time.hhmm,
      };
      // A change comes before the decisions made at the version it produced, or later.
      const decidedAt = decidedAtOf(event, record, input);
      // A replayed record repeats the fate (and version) its eventId got at its first delivery.
      const replay = firstSeenAt.has(event.eventId);
      if (!replay) firstSeenAt.set(event.eventId, at(record));
      if (decidedAt !== null && !replay) {
        // Versions only grow, so a family's decisions in delivery order were made at versions that never go back.
        const last = lastDecidedAt.get(event.period);
        if (last && decidedAt < last.version) {
          verdict.orderViolations.push(
            `family ${family.familyId}: ${event.eventId} at ${at(record)} (${input.letters.has(at(record)) ? 'rejection' : 'settlement'}) decided at version ${decidedAt}, after ${last.at} at ${last.version}`,
          );
        }
        const source = input.letters.has(at(record)) ? 'rejection' : 'settlement';
        lastDecidedAt.set(event.period, { version: decidedAt, at: `${at(record)} (${source})` });
      }
      while (decidedAt !== null && changes.length > 0) {
        // A change of other periods only (a top-up) is passed, in commit order, by the next one of this period.
        const concerning = changes.find((c) => c.versions.has(event.period));
        const version = concerning?.versions.get(event.period);
        if (version === undefined || version > decidedAt) break;
        applyChange(model, changes.shift() as AppliedChange, verdict);
      }
      verdict.checked++;
      compare(model, event, record, input, verdict);
    }
    // Changes after the family's last decision still owe the notifications the model says.
    for (const change of changes) applyChange(model, change, verdict);
  }
  return verdict;
}

function compare(
  model: SettlementModel,
  event: ModelEvent,
  record: MskRecord,
  input: OracleInput,
  verdict: OracleVerdict,
) {
  const letter = input.letters.get(at(record));
  const settlement = input.settlements.get(event.eventId);
  // Dedup comes first: an event settled while its customer was a member is a duplicate after it left.
  if (!model.isMember(event.customerId) && !model.hasDecided(event.eventId)) {
    model.notAMember(event.eventId);
    if (letter?.reason !== 'NOT_A_MEMBER') {
      verdict.rejectionMismatches.push(
        `${event.eventId} at ${at(record)}: customer ${event.customerId} is not a member, got ${letter?.reason ?? 'no letter'}`,
      );
    }
    const owner = settlement?.kafka as { partition?: number; offset?: number } | undefined;
    if (owner?.partition === record.partition && owner?.offset === record.offset) {
      verdict.rejectionMismatches.push(
        `${event.eventId} at ${at(record)}: settled for a customer who is not a member`,
      );
    }
    return;
  }
  const result = model.decide(event);
  if (result.kind === 'conflict') {
    if (letter?.reason !== 'EVENT_ID_CONFLICT') {
      verdict.rejectionMismatches.push(
        `${event.eventId} at ${at(record)}: a conflict, got ${letter?.reason ?? 'no letter'}`,
      );
    }
    return;
  }
  if (letter) {
    verdict.rejectionMismatches.push(`${event.eventId} at ${at(record)}: dead-lettered as ${letter.reason}`);
    return;
  }
  if (result.kind === 'duplicate') return;
  if (!settlement) {
    verdict.decisionMismatches.push(`${event.eventId} at ${at(record)}: not settled`);
    return;
  }
  const d = result.decision;
  const expected = {
    status: d.status,
    counted: d.counted,
    bytes: d.bytes,
    notify: d.notify,
    markers: d.markers
      .map((m) =>
        m.status === 'APP_BLOCK'
          ? `${m.customerId}:${m.status}:${m.appId ?? ''}`
          : `${m.customerId}:${m.status}`,
      )
      .sort(),
  };
  const actual = {
    status: settlement.decision,
    counted: settlement.counted,
    bytes: Number(settlement.bytesUsed),
    notify: settlement.notify,
    markers: [...((settlement.alertMarkers as string[] | undefined) ?? [])].sort(),
  };
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    verdict.decisionMismatches.push(
      `${event.eventId} at ${at(record)}: model ${JSON.stringify(expected)}, ledger ${JSON.stringify(actual)}`,
    );
  }
}

/**
 * A correction at its place in the stream: the model's verdict (applied,
 * superseded, refused and why, or a redelivery) against the ledger's record
 * and the dead-letter queue, with the blocks it lifted. Its record's window
 * starts the period before the one its Kafka record was written in.
 */
function judgeCorrection(
  model: SettlementModel,
  envelope: Envelope,
  record: MskRecord,
  input: OracleInput,
  verdict: OracleVerdict,
) {
  const where = `${envelope.eventId} at ${at(record)}`;
  const written = timeOf(new Date(record.timestamp).toISOString()).period;
  const month = Number(written.slice(4, 6));
  const oldestPeriod =
    month === 1 ? `${Number(written.slice(0, 4)) - 1}12` : `${written.slice(0, 4)}${pad(month - 1)}`;
  const result = model.correct({
    eventId: envelope.eventId,
    customerId: envelope.payload.customerId,
    correctsEventId: String(envelope.payload.correctsEventId),
    bytes: envelope.payload.bytesUsed,
    timeMs: timeOf(envelope.timestamp).ms,
    oldestPeriod,
  });
  const letter = input.letters.get(at(record));
  const recorded = input.corrections?.get(envelope.eventId);
  if (result.kind === 'rejected') {
    if (letter?.reason !== result.reason) {
      verdict.rejectionMismatches.push(
        `${where}: model ${result.reason}, got ${letter?.reason ?? 'no letter'}`,
      );
    }
    if (recorded) verdict.rejectionMismatches.push(`${where}: refused by the model, recorded by the ledger`);
    return;
  }
  if (letter) {
    verdict.rejectionMismatches.push(`${where}: model ${result.kind}, dead-lettered as ${letter.reason}`);
    return;
  }
  if (!recorded) {
    verdict.decisionMismatches.push(`${where}: model ${result.kind}, not recorded`);
    return;
  }
  if (result.kind === 'duplicate') return;
  const expected = {
    applied: result.kind === 'applied',
    unblocked: result.unblocked.map((u) => `${u.customerId}:${u.reason}`).sort(),
  };
  const actual = {
    applied: recorded.applied === true,
    unblocked: [...((recorded.unblocked as string[] | undefined) ?? [])].sort(),
  };
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    verdict.decisionMismatches.push(
      `${where}: model ${JSON.stringify(expected)}, ledger ${JSON.stringify(actual)}`,
    );
  }
  if (result.kind === 'applied') verdict.correctionsApplied++;
  verdict.correctionUnblocks += expected.unblocked.length;
}

/** The state version a record's event was decided at, as the ledger or its dead letter says. */
function decidedAtOf(event: ModelEvent, record: MskRecord, input: OracleInput): number | null {
  const letter = input.letters.get(at(record));
  if (letter?.decidedAtVersion !== undefined) return letter.decidedAtVersion;
  const settlement = input.settlements.get(event.eventId);
  const kafka = settlement?.kafka as { partition?: number; offset?: number } | undefined;
  if (!settlement || kafka?.partition !== record.partition || kafka?.offset !== record.offset) return null;
  return Number(settlement.decidedAtVersion);
}

function modelValue(value: PolicyValue): ModelPolicy {
  switch (value.key) {
    case 'LIMIT:DATA:MONTHLY':
      return { ...NO_MODEL_POLICY, limit: value.limitBytes };
    case 'BLOCK:ACCESS':
      return { ...NO_MODEL_POLICY, manual: value.blocked };
    case 'BLOCK:TIME':
      return { ...NO_MODEL_POLICY, window: value.window };
    case 'BLOCK:APP':
      return { ...NO_MODEL_POLICY, blockedApps: value.apps };
    case 'ZERO_RATE:APP':
      return { ...NO_MODEL_POLICY, zeroRatedApps: value.apps };
  }
}

/** Applies a committed change to the model and compares the blocks it started or lifted with what was staged. */
function applyChange(model: SettlementModel, applied: AppliedChange, verdict: OracleVerdict) {
  const { change } = applied;
  switch (change.kind) {
    case 'policy': {
      const target = change.target.level === 'MEMBER' ? change.target.customerId : change.target.level;
      const told = model
        .setPolicy(target, change.value.key, modelValue(change.value), applied.currentPeriod)
        .map((t) => `${t.type}:${t.customerId}:${t.reason}`)
        .sort();
      const staged = applied.notifications
        .filter((n) => n.type !== 'POLICY_CHANGED')
        .map((n) => `${n.type}:${n.customerId}:${n.reason}`)
        .sort();
      if (JSON.stringify(told) !== JSON.stringify(staged)) {
        verdict.notificationMismatches.push(
          `${change.eventId}: model ${told.join(',')}, staged ${staged.join(',')}`,
        );
      }
      // A family taking a global change owes no POLICY_CHANGED: the global change told everyone once.
      const policyChanged = change.target.level === 'GLOBAL' ? 0 : 1;
      if (applied.notifications.filter((n) => n.type === 'POLICY_CHANGED').length !== policyChanged) {
        verdict.notificationMismatches.push(`${change.eventId}: not ${policyChanged} POLICY_CHANGED`);
      }
      return;
    }
    case 'member-joined':
      model.addMember(change.customerId);
      return;
    case 'member-left':
      model.removeMember(change.customerId);
      return;
    case 'quota-changed':
      model.setQuota(change.quotaBytes, applied.currentPeriod);
      return;
    case 'topup-added': {
      const result = model.addTopup(change.period, change.topupId, change.bytes);
      if (result.kind !== 'applied') {
        verdict.notificationMismatches.push(`${change.eventId}: committed, the model says ${result.kind}`);
      }
      const told = result.unblocked.map((c) => `CUSTOMER_UNBLOCKED:${c}`);
      const staged = applied.notifications
        .filter((n) => n.type === 'CUSTOMER_UNBLOCKED')
        .map((n) => `${n.type}:${n.customerId}`)
        .sort();
      if (JSON.stringify(told) !== JSON.stringify(staged)) {
        verdict.notificationMismatches.push(
          `${change.eventId}: model ${told.join(',')}, staged ${staged.join(',')}`,
        );
      }
      if (applied.notifications.filter((n) => n.type === 'TOPUP_APPLIED').length !== 1) {
        verdict.notificationMismatches.push(`${change.eventId}: not one TOPUP_APPLIED`);
      }
      verdict.topupUnblocks += told.length;
      return;
    }
    case 'family-upserted':
      verdict.notificationMismatches.push(`${change.eventId}: the oracle does not model a full member list`);
  }
}

/** Changes of one value are committed in version order: an older one after a newer one was not stale. */
function checkChangeOrder(changes: ReadonlyArray<AppliedChange>, verdict: OracleVerdict) {
  const last = new Map<string, string>();
  for (const { change, familyId } of changes) {
    // Top-ups are not versioned: they add up in any order.
    if (change.kind === 'topup-added') continue;
    const value =
      change.kind === 'policy'
        ? `policy:${familyId}:${change.target.level === 'MEMBER' ? change.target.customerId : change.target.level}:${change.value.key}`
        : change.kind === 'quota-changed'
          ? `quota:${familyId}`
          : `member:${familyId}:${'customerId' in change ? change.customerId : ''}`;
    const previous = last.get(value);
    if (previous !== undefined && change.version <= previous) {
      verdict.orderViolations.push(
        `${change.eventId} (${value}) committed after a newer change of the same value`,
      );
    }
    last.set(value, change.version);
  }
}
