import { nextStamp } from '../commit-stamp';
import type { Item, Lane } from './lane';
import type { CommitUnit, ConfirmedEvent, PeriodCommit } from './ports';
import { buildRejection, buildSettlement, type RejectionRecord, type SettlementWrite } from './records';
import { isCorrection } from './usage-event';

/** DynamoDB's limit on the actions of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

export interface PlannedUnit {
  readonly unit: CommitUnit;
  /** The answered events whose fate this unit decides, in delivery order. */
  readonly items: ReadonlyArray<Item>;
  /** The event that writes each eventId's fate (settlement or rejection); later copies share it. */
  readonly owners: ReadonlyMap<string, Item>;
}

/** Transaction actions a period adds to a unit: its version-checked update, or a bare check. */
const PERIOD_ACTIONS = 1;

/**
 * A lane's answers as commit units, in order. A unit holds a consecutive run
 * of the lane's events small enough for one transaction; when the lane needs
 * several, each one's version check expects the version the previous one
 * leaves behind. A period with rejections only is still checked, so a
 * rejection made from an outdated state does not stand either.
 */
export function planCommit(
  lane: Lane,
  nowMs: number,
  outboxGraceMs: number,
  globalRevision: number,
): PlannedUnit[] {
  const answered = lane.items.filter((i) => i.state.kind === 'answered');
  const owners = new Map<string, Item>();
  const writes = new Map<Item, SettlementWrite>();
  const rejections = new Map<Item, RejectionRecord>();
  for (const item of answered) {
    // Only usage is answered: corrections are applied between commits.
    if (item.state.kind !== 'answered' || isCorrection(item.event)) continue;
    const { event } = item;
    const { reply } = item.state;
    if (owners.has(item.event.eventId)) continue;
    const seen = lane.seen.get(item.event.period);
    const decidedAtVersion = seen?.version ?? 0;
    if (reply.kind === 'not-member') {
      owners.set(item.event.eventId, item);
      rejections.set(item, buildRejection({ event, record: item.record, decidedAtVersion, nowMs }));
      continue;
    }
    if (reply.kind !== 'new' && reply.kind !== 'pending') continue;
    owners.set(item.event.eventId, item);
    writes.set(
      item,
      buildSettlement({
        event,
        record: item.record,
        decision: reply.decision,
        decidedAtVersion,
        globalRevision: seen?.globalRevision ?? globalRevision,
        decidedFrom: seen?.source ?? 'redis',
        nowMs,
        outboxGraceMs,
      }),
    );
  }

  const chunks: Item[][] = [];
  let chunk: Item[] = [];
  let actions = 0;
  const periods = new Set<string>();
  for (const item of answered) {
    const write = writes.get(item);
    const writeActions = write ? 1 + (write.outbox ? 1 : 0) : rejections.has(item) ? 1 : 0;
    let cost = writeActions + (periods.has(item.event.period) ? 0 : PERIOD_ACTIONS);
    if (chunk.length > 0 && actions + cost > MAX_TRANSACTION_ITEMS) {
      chunks.push(chunk);
      chunk = [];
      actions = 0;
      periods.clear();
      cost = writeActions + PERIOD_ACTIONS;
    }
    chunk.push(item);
    actions += cost;
    periods.add(item.event.period);
  }
  if (chunk.length > 0) chunks.push(chunk);

  const committedBefore = new Map<string, number>();
  const stamps = new Map<string, number>();
  return chunks.map((items) => {
    const byPeriod = new Map<string, { writes: SettlementWrite[]; rejections: RejectionRecord[] }>();
    for (const item of items) {
      const entry = byPeriod.get(item.event.period) ?? { writes: [], rejections: [] };
      const write = writes.get(item);
      if (write) entry.writes.push(write);
      const rejection = rejections.get(item);
      if (rejection) entry.rejections.push(rejection);
      byPeriod.set(item.event.period, entry);
    }
    const periodCommits: PeriodCommit[] = [...byPeriod].map(([period, entry]) => {
      const seen = lane.seen.get(period);
      if (!seen) throw new Error(`period ${period} of family ${lane.familyId} was answered without a state`);
      const earlier = committedBefore.get(period) ?? 0;
      const stampBefore = stamps.get(period) ?? seen.stampMs;
      const writes = entry.writes.length + entry.rejections.length > 0;
      const stampMs = writes ? nextStamp(stampBefore, nowMs) : stampBefore;
      if (writes) {
        committedBefore.set(period, earlier + 1);
        stamps.set(period, stampMs);
      }
      return {
        period,
        versionBefore: seen.version + earlier,
        quotaBytes: seen.quotaBytes,
        incarnation: seen.incarnation,
        stampMs,
        // A state that had taken no revision took the lane's when it decided its first event.
        globalRevision: seen.globalRevision ?? globalRevision,
        ...entry,
      };
    });
    return { unit: { familyId: lane.familyId, periods: periodCommits }, items, owners };
  });
}

/** What Redis is told after units committed: per period, the version change and the events whose fate it holds. */
export function confirmations(committed: ReadonlyArray<PlannedUnit>) {
  const changes = new Map<
    string,
    {
      before: number;
      after: number;
      incarnation: string;
      stampMs: number;
      events: ConfirmedEvent[];
    }
  >();
  for (const { unit } of committed) {
    for (const period of unit.periods) {
      if (period.writes.length + period.rejections.length === 0) continue;
      const change = changes.get(period.period) ?? {
        before: period.versionBefore,
        after: period.versionBefore,
        incarnation: period.incarnation,
        stampMs: period.stampMs,
        events: [],
      };
      change.after = period.versionBefore + 1;
      change.stampMs = period.stampMs;
      for (const { record } of period.writes) {
        change.events.push({ eventId: record.eventId, payloadHash: record.decision.payloadHash });
      }
      for (const r of period.rejections) {
        change.events.push({
          eventId: r.eventId,
          payloadHash: r.payloadHash,
          rejectedAtVersion: r.decidedAtVersion,
        });
      }
      changes.set(period.period, change);
    }
  }
  return [...changes].map(([period, c]) => ({
    period,
    versions: { before: c.before, after: c.after, incarnation: c.incarnation, stampMs: c.stampMs },
    events: c.events,
  }));
}
