import { randomBytes } from 'node:crypto';
import type { MemberPolicy, PeriodSnapshot } from '../family';
import type { Decision, EventReply, LaneReply, LaneStop, PeriodStateSeen } from '../settlement/decision';
import type {
  ConfirmedEvent,
  ConfirmedVersions,
  DecideContext,
  LaneEvent,
  OwnedPending,
  UsageCache,
} from '../settlement/ports';
import { type DecidingState, decideEvent } from './decision-rule';

interface PeriodState extends DecidingState {
  version: number;
  stampMs: number;
  globalRevision: number | null;
  readonly incarnation: string;
  readonly settledHorizonMs: number;
  /** Decided here, not yet confirmed in the ledger. */
  readonly pending: Map<string, Decision>;
}

const stateKey = (familyId: number, period: string) => `${familyId}/${period}`;
const markKey = (familyId: number, eventId: string) => `${familyId}/${eventId}`;

/**
 * The degraded mode's usage cache: the TypeScript twin of lua/settle-lane.lua,
 * confirm-lane.lua and hydrate-period.lua (its decide step is
 * decision-rule.ts), over period states and settled marks held in memory for
 * one batch: what the usage function decides from when Redis is unreachable.
 * Every state is loaded from the ledger when the batch first needs it, so it
 * starts exactly at the ledger's version, and the ledger's version check on
 * commit fences it like any Redis state. A property test runs it and the
 * scripts side by side.
 */
export class SettleLaneTwin implements UsageCache {
  private readonly states = new Map<string, PeriodState>();
  private readonly marks = new Map<string, string>();

  async decideLane(
    familyId: number,
    events: ReadonlyArray<LaneEvent>,
    context: DecideContext,
    owned: OwnedPending = new Map(),
  ): Promise<LaneReply> {
    const periods = [...new Set(events.map((e) => e.event.period))];
    const states = new Map<string, PeriodStateSeen>();
    for (const period of periods) {
      const state = this.states.get(stateKey(familyId, period));
      if (state) {
        states.set(period, {
          version: state.version,
          quotaBytes: state.quota,
          incarnation: state.incarnation,
          pending: state.pending.size,
          stampMs: state.stampMs,
          globalRevision: state.globalRevision,
          source: 'ledger',
        });
      }
    }
    const foreign = periods.find((period) => this.holdsForeignDecisions(familyId, period, events, owned));
    if (foreign !== undefined) return { replies: [], stop: { kind: 'reload', period: foreign }, states };
    const replies: EventReply[] = [];
    let stop: LaneStop | null = null;
    for (const { event, recordTimestampMs, checked } of events) {
      const mark = this.marks.get(markKey(familyId, event.eventId));
      if (mark !== undefined) {
        const rejected = /^R:(\d+):(.*)$/.exec(mark);
        if (rejected) {
          replies.push(
            rejected[2] === event.payloadHash
              ? { kind: 'rejected', decidedAtVersion: Number(rejected[1]) }
              : { kind: 'conflict' },
          );
        } else {
          replies.push({ kind: mark === event.payloadHash ? 'settled' : 'conflict' });
        }
        continue;
      }
      const state = this.states.get(stateKey(familyId, event.period));
      if (!state) {
        stop = { kind: 'hydrate', period: event.period };
        break;
      }
      const pending = state.pending.get(event.eventId);
      if (pending) {
        replies.push(
          pending.payloadHash === event.payloadHash
            ? { kind: 'pending', decision: pending }
            : { kind: 'conflict' },
        );
        continue;
      }
      const recordTs = Number.isSafeInteger(recordTimestampMs) ? recordTimestampMs : 0;
      if (
        !checked &&
        (recordTs < context.verifyBeforeMs || recordTs <= state.settledHorizonMs + context.clockMarginMs)
      ) {
        stop = { kind: 'verify', horizonMs: state.settledHorizonMs };
        break;
      }
      if (!state.used.has(event.customerId)) {
        replies.push({ kind: 'not-member' });
        continue;
      }
      if (state.globalRevision !== null && state.globalRevision !== context.globalRevision) {
        stop = { kind: 'global', period: event.period, revision: state.globalRevision };
        break;
      }
      // Nothing was notified in this period under an earlier revision: it takes this one as it is.
      state.globalRevision ??= context.globalRevision;
      const decision = decideEvent(state, event, context.globalPolicy);
      state.pending.set(event.eventId, decision);
      replies.push({ kind: 'new', decision });
    }
    return { replies, stop, states };
  }

  /** Whether a state holds pending decisions that neither the lane's earlier rounds nor these events own. */
  private holdsForeignDecisions(
    familyId: number,
    period: string,
    events: ReadonlyArray<LaneEvent>,
    owned: OwnedPending,
  ): boolean {
    const state = this.states.get(stateKey(familyId, period));
    if (!state) return false;
    const mine = events.filter((e) => e.event.period === period && state.pending.has(e.event.eventId));
    return state.pending.size > (owned.get(period) ?? 0) + mine.length;
  }

  async hydrate(snapshot: PeriodSnapshot): Promise<void> {
    const key = stateKey(snapshot.familyId, snapshot.period);
    if (this.states.has(key)) return;
    const memberPolicies = new Map<number, MemberPolicy>();
    const used = new Map<number, number>();
    const alerts = new Set<string>();
    for (const member of snapshot.members) {
      used.set(member.customerId, member.usedBytes);
      memberPolicies.set(member.customerId, member.policy);
      for (const marker of member.alerts) alerts.add(marker);
    }
    this.states.set(key, {
      quota: snapshot.quotaBytes,
      topups: snapshot.topupBytes,
      remaining: snapshot.quotaBytes + snapshot.topupBytes - snapshot.familyUsedBytes,
      version: snapshot.version,
      stampMs: snapshot.stampMs,
      globalRevision: snapshot.globalRevision,
      incarnation: `ledger-${randomBytes(8).toString('hex')}`,
      settledHorizonMs: snapshot.settledHorizonMs,
      used,
      familyPolicy: snapshot.familyPolicy,
      memberPolicies,
      alerts,
      pending: new Map(),
    });
  }

  async confirm(
    familyId: number,
    period: string,
    versions: ConfirmedVersions,
    events: ReadonlyArray<ConfirmedEvent>,
  ): Promise<void> {
    const key = stateKey(familyId, period);
    let state = this.states.get(key);
    const decided = events.filter((e) => e.rejectedAtVersion === undefined);
    if (
      state &&
      state.version === versions.before &&
      state.incarnation === versions.incarnation &&
      decided.every((e) => state?.pending.has(e.eventId))
    ) {
      state.version = versions.after;
      state.stampMs = versions.stampMs;
    } else if (state && state.version !== versions.after) {
      this.states.delete(key);
      state = undefined;
    }
    for (const e of events) {
      if (e.rejectedAtVersion === undefined) state?.pending.delete(e.eventId);
      this.marks.set(
        markKey(familyId, e.eventId),
        e.rejectedAtVersion === undefined ? e.payloadHash : `R:${e.rejectedAtVersion}:${e.payloadHash}`,
      );
    }
  }

  /** A period state as it stands (for tests and diagnostics); null when absent. */
  view(familyId: number, period: string) {
    const state = this.states.get(stateKey(familyId, period));
    if (!state) return null;
    return {
      version: state.version,
      incarnation: state.incarnation,
      quota: state.quota,
      topups: state.topups,
      remaining: state.remaining,
      used: new Map(state.used),
      alerts: new Set(state.alerts),
      pending: new Map(state.pending),
    };
  }

  async invalidate(familyId: number, periods: ReadonlyArray<string>): Promise<void> {
    for (const period of periods) this.states.delete(stateKey(familyId, period));
  }
}
