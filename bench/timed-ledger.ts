import type { CommitResult, CommitUnit, Ledger } from '../functions/core/ports';

/**
 * The ledger with the time each decision committed: when commit() returns
 * for a unit the ledger accepted, every settlement and rejection in it is
 * durable. The decision latency of an event runs from its record's Kafka
 * timestamp to this time.
 */
export class TimedLedger implements Ledger {
  /** Epoch ms at which each event's decision committed. */
  readonly committedAt = new Map<string, number>();
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
    const at = Date.now();
    this.transactions += result.transactions;
    for (const [unit, outcome] of result.outcomes) {
      if (outcome.kind !== 'committed') continue;
      for (const period of unit.periods) {
        for (const write of period.writes) this.committedAt.set(write.record.eventId, at);
        for (const rejection of period.rejections) this.committedAt.set(rejection.eventId, at);
        this.settled += period.writes.length;
        this.rejectedFromState += period.rejections.length;
      }
    }
    return result;
  }
}
