import type { CommitResult, CommitUnit, Ledger } from '../functions/core/settlement/ports';

/**
 * The ledger with counts of what it committed: settlements, rejections from
 * the family state, transactions. (Decision latency is the handler's own
 * measure: functions/usage-events/decision-latency.ts.)
 */
export class TimedLedger implements Ledger {
  settled = 0;
  rejectedFromState = 0;
  transactions = 0;

  constructor(private readonly inner: Ledger) {}

  loadSnapshots(...args: Parameters<Ledger['loadSnapshots']>) {
    return this.inner.loadSnapshots(...args);
  }

  findFates(...args: Parameters<Ledger['findFates']>) {
    return this.inner.findFates(...args);
  }

  async commit(units: ReadonlyArray<CommitUnit>): Promise<CommitResult> {
    const result = await this.inner.commit(units);
    this.transactions += result.transactions;
    for (const [unit, outcome] of result.outcomes) {
      if (outcome.kind !== 'committed') continue;
      for (const period of unit.periods) {
        this.settled += period.writes.length;
        this.rejectedFromState += period.rejections.length;
      }
    }
    return result;
  }
}
