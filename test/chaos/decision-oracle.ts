import type { MskRecord } from '../../functions/core/kafka-record';
import type { DeadLetter } from '../../functions/core/ports';
import { type ModelEvent, type ModelPeriodStart, SettlementModel } from '../model/settlement-model';

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

/** A member removed during the run, and which of the family's events the ledger held at that moment. */
export interface MemberRemoval {
  readonly familyId: number;
  readonly customerId: number;
  readonly settledBefore: ReadonlySet<string>;
}

export interface OracleInput {
  readonly families: ReadonlyArray<OracleFamily>;
  readonly periods: ReadonlyArray<string>;
  /** The topic's partitions, each in offset order. */
  readonly logs: ReadonlyArray<ReadonlyArray<MskRecord>>;
  readonly kindOf: (record: MskRecord) => string | undefined;
  readonly settlements: ReadonlyMap<string, Record<string, unknown>>;
  readonly letters: ReadonlyMap<string, DeadLetter>;
  readonly removals: ReadonlyArray<MemberRemoval>;
}

export interface OracleVerdict {
  checked: number;
  readonly decisionMismatches: string[];
  readonly rejectionMismatches: string[];
  readonly orderViolations: string[];
}

interface Envelope {
  readonly eventId: string;
  readonly eventType: string;
  readonly timestamp: string;
  readonly payload: { familyId: number; customerId: number; appId?: string | null; bytesUsed: number };
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
  };
  const records = input.logs.flat();
  const envelopes = new Map(records.map((r) => [r, parse(r)] as const));
  const firstRecordOf = new Map<string, MskRecord>();
  for (const record of records) {
    const eventId = envelopes.get(record)?.eventId;
    if (typeof eventId === 'string' && !firstRecordOf.has(eventId)) firstRecordOf.set(eventId, record);
  }
  for (const family of input.families) {
    const model = modelOf(family, input.periods);
    const waiting = input.removals.filter((r) => r.familyId === family.familyId);
    const applied: MemberRemoval[] = [];
    for (const record of records) {
      const kind = input.kindOf(record);
      const envelope = envelopes.get(record);
      if (!envelope || envelope.payload?.familyId !== family.familyId) continue;
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
      const isNew = firstRecordOf.get(event.eventId) === record;
      // A removal took effect right before the first new event the ledger did not hold at that moment.
      for (const removal of [...waiting]) {
        if (!isNew || removal.settledBefore.has(event.eventId)) continue;
        model.removeMember(removal.customerId);
        waiting.splice(waiting.indexOf(removal), 1);
        applied.push(removal);
      }
      if (isNew && applied.some((r) => r.settledBefore.has(event.eventId))) {
        verdict.orderViolations.push(
          `family ${family.familyId}: ${event.eventId} at ${at(record)} was settled before a change that an earlier event came after`,
        );
      }
      verdict.checked++;
      compare(model, event, record, input, verdict);
    }
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
  if (!model.isMember(event.customerId)) {
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
