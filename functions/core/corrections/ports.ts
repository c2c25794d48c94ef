import type { ChangeStore } from '../changes/ports';
import type { OutboxItem } from '../outbox/item';
import type { Clock } from '../ports';
import type { Ledger } from '../settlement/ports';
import type { CorrectionPlan } from './plan-correction';

/** Where a correction's Kafka record was: kept on its ledger record, like a settlement's. */
export interface KafkaPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** The ledger side of corrections. */
export interface CorrectionStore {
  /**
   * Writes a plan and its notifications in one transaction; false when the
   * ledger moved meanwhile (the correction was recorded, the event took
   * another correction, or the period's version moved): read and plan again.
   */
  commit(
    plan: CorrectionPlan,
    outbox: ReadonlyArray<OutboxItem>,
    written: { readonly kafka: KafkaPosition; readonly nowMs: number },
  ): Promise<boolean>;
}

export interface CorrectionDeps {
  readonly store: CorrectionStore;
  readonly ledger: Pick<Ledger, 'findFates'>;
  readonly changes: Pick<ChangeStore, 'readFamily'>;
  readonly clock: Clock;
  readonly settings: { readonly timeZone: string; readonly outboxGraceMs: number };
}
