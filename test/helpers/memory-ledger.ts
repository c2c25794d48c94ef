import { type MemberPolicy, NO_POLICY, type PeriodSnapshot } from '../../functions/core/family';
import type { DeadLetter } from '../../functions/core/ports';
import type { CommitOutcome, CommitResult, CommitUnit, Ledger } from '../../functions/core/settlement/ports';
import type { LedgerFate } from '../../functions/core/settlement/records';

interface MemoryPeriod {
  version: number;
  stampMs: number;
  globalRevision: number | null;
  quotaBytes: number | null;
  usedBytes: number;
  used: Map<number, number>;
  alerts: Map<number, Set<string>>;
  lastSettledAt: number;
}

/**
 * The ledger's semantics in memory, for the fast unit tests of the settlement
 * core: a commit unit stands only while every period it names is at the
 * version it was decided at and none of its events has a fate yet, and then
 * it is written whole; otherwise it is answered stale with the fates that
 * exist. DynamoDB Local runs the real adapter in the integration tests.
 */
export class MemoryLedger implements Ledger {
  readonly fates = new Map<string, LedgerFate>();
  private readonly families = new Map<
    number,
    { quotaBytes: number; familyPolicy: MemberPolicy; members: Map<number, MemberPolicy> }
  >();
  private readonly periods = new Map<string, MemoryPeriod>();
  /** Commits fail with this error while it is set (an unreachable ledger). */
  failCommits: Error | null = null;
  commits = 0;

  family(familyId: number, quotaBytes: number, members: Record<number, Partial<MemberPolicy>>) {
    this.families.set(familyId, {
      quotaBytes,
      familyPolicy: NO_POLICY,
      members: new Map(Object.entries(members).map(([id, p]) => [Number(id), { ...NO_POLICY, ...p }])),
    });
  }

  leave(familyId: number, customerId: number) {
    this.families.get(familyId)?.members.delete(customerId);
  }

  /** A change committed elsewhere (a family or policy change): the period's version moves. */
  bump(familyId: number, period: string) {
    this.period(familyId, period).version++;
  }

  period(familyId: number, period: string): MemoryPeriod {
    const key = `${familyId}/${period}`;
    let state = this.periods.get(key);
    if (!state) {
      state = {
        version: 0,
        stampMs: 0,
        globalRevision: null,
        quotaBytes: null,
        usedBytes: 0,
        used: new Map(),
        alerts: new Map(),
        lastSettledAt: 0,
      };
      this.periods.set(key, state);
    }
    return state;
  }

  async loadSnapshots(familyId: number, periods: ReadonlyArray<string>): Promise<PeriodSnapshot[]> {
    const family = this.families.get(familyId);
    return periods.map((period) => {
      const state = this.period(familyId, period);
      return {
        familyId,
        period,
        quotaBytes: state.quotaBytes ?? family?.quotaBytes ?? 0,
        topupBytes: 0,
        familyUsedBytes: state.usedBytes,
        version: state.version,
        stampMs: state.stampMs,
        globalRevision: state.globalRevision,
        settledHorizonMs: state.lastSettledAt,
        familyPolicy: family?.familyPolicy ?? NO_POLICY,
        members: [...(family?.members ?? [])].map(([customerId, policy]) => ({
          customerId,
          policy,
          usedBytes: state.used.get(customerId) ?? 0,
          alerts: [...(state.alerts.get(customerId) ?? [])],
        })),
      };
    });
  }

  async findFates(eventIds: ReadonlyArray<string>): Promise<Map<string, LedgerFate>> {
    return new Map(
      eventIds.flatMap((id) => (this.fates.has(id) ? [[id, this.fates.get(id) as LedgerFate]] : [])),
    );
  }

  async commit(units: ReadonlyArray<CommitUnit>): Promise<CommitResult> {
    if (this.failCommits) throw this.failCommits;
    const outcomes = new Map<CommitUnit, CommitOutcome>();
    for (const unit of units) {
      this.commits++;
      const ids = unit.periods.flatMap((p) => [
        ...p.writes.map((w) => w.record.eventId),
        ...p.rejections.map((r) => r.eventId),
      ]);
      const fates = ids.flatMap((id) => (this.fates.has(id) ? [this.fates.get(id) as LedgerFate] : []));
      const moved = unit.periods.some(
        (p) => this.period(unit.familyId, p.period).version !== p.versionBefore,
      );
      if (moved || fates.length > 0) {
        outcomes.set(unit, { kind: 'stale', fates });
        continue;
      }
      for (const p of unit.periods) {
        const state = this.period(unit.familyId, p.period);
        if (p.writes.length + p.rejections.length === 0) continue;
        state.version++;
        state.stampMs = p.stampMs;
        state.globalRevision = p.globalRevision;
        state.quotaBytes ??= p.quotaBytes;
        for (const { record } of p.writes) {
          this.fates.set(record.eventId, { kind: 'settled', record });
          const alerts = state.alerts.get(record.customerId) ?? new Set();
          for (const m of record.decision.markers) alerts.add(m);
          state.alerts.set(record.customerId, alerts);
          state.lastSettledAt = record.settledAt;
          if (!record.decision.counted) continue;
          state.usedBytes += record.bytesUsed;
          state.used.set(record.customerId, (state.used.get(record.customerId) ?? 0) + record.bytesUsed);
        }
        for (const r of p.rejections) this.fates.set(r.eventId, { kind: 'rejected', record: r });
      }
      outcomes.set(unit, { kind: 'committed' });
    }
    return { outcomes, transactions: units.length };
  }
}

/** A dead-letter queue that keeps what it was sent. */
export function memoryDeadLetters() {
  const letters: DeadLetter[] = [];
  return {
    letters,
    async send(batch: ReadonlyArray<DeadLetter>) {
      letters.push(...batch);
      return [];
    },
  };
}
