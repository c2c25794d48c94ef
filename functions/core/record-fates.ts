import { createHash } from 'node:crypto';
import { describeError, TransientError } from './errors';
import type { KafkaRecord, PartitionBatch } from './kafka-record';
import type { Clock, DeadLetter, DeadLetterQueue } from './ports';
import type { Rejection, RejectionReason } from './rejection';
import { type RetryPolicy, retryTransient } from './retry';

export interface BatchItemFailure {
  readonly itemIdentifier: { readonly partition: string; readonly offset: number };
}

/** Stable for a record and its reason: a rejection on a redelivery yields the same letter id. */
export function letterIdOf(record: KafkaRecord, rejection: Rejection): string {
  const { topic, partition, offset } = record.raw;
  return createHash('sha256')
    .update(`${topic}\u0000${partition}\u0000${offset}\u0000${rejection.reason}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Which records of a batch are finished, and the dead letters of the rejected
 * ones: a rejected record is finished only once its letter is accepted. What
 * is not finished is reported as a Kafka batch item failure at the first
 * unfinished offset of its partition, so it is redelivered with everything
 * after it.
 */
export class RecordFates {
  private readonly finished = new Set<KafkaRecord>();
  private readonly letters = new Map<KafkaRecord, DeadLetter>();
  readonly rejected: Partial<Record<RejectionReason, number>> = {};
  unfinished = 0;

  constructor(
    private readonly deps: {
      readonly deadLetters: DeadLetterQueue;
      readonly clock: Clock;
      readonly retry: RetryPolicy;
      readonly log: { error(message: string, extra: Record<string, unknown>): void };
    },
  ) {}

  finish(record: KafkaRecord): void {
    this.finished.add(record);
  }

  reject(record: KafkaRecord, rejection: Rejection, eventId: string | null, decidedAtVersion?: number): void {
    this.letters.set(record, {
      ...rejection,
      letterId: letterIdOf(record, rejection),
      partitionKey: record.partitionKey,
      record: record.raw,
      eventId,
      rejectedAt: new Date(this.deps.clock.now()).toISOString(),
      ...(decidedAtVersion === undefined ? {} : { decidedAtVersion }),
    });
  }

  /** Sends every letter; the records whose letters were accepted are finished. */
  async sendLetters(): Promise<void> {
    if (this.letters.size === 0) return;
    let pending = [...this.letters.values()];
    try {
      await retryTransient(async () => {
        pending = [...(await this.deps.deadLetters.send(pending))];
        if (pending.length > 0) throw new TransientError(`${pending.length} dead letters were not accepted`);
      }, this.deps.retry);
    } catch (error) {
      this.deps.log.error('dead letters could not be sent; their partitions are redelivered', {
        unsent: pending.length,
        error: describeError(error),
      });
    }
    const unsent = new Set(pending);
    for (const [record, letter] of this.letters) {
      if (unsent.has(letter)) continue;
      this.finished.add(record);
      this.rejected[letter.reason] = (this.rejected[letter.reason] ?? 0) + 1;
    }
  }

  failures(partitions: ReadonlyArray<PartitionBatch>): BatchItemFailure[] {
    const failures: BatchItemFailure[] = [];
    for (const partition of partitions) {
      const unfinished = partition.records.filter((r) => !this.finished.has(r));
      this.unfinished += unfinished.length;
      const first = unfinished[0];
      if (first)
        failures.push({ itemIdentifier: { partition: partition.partitionKey, offset: first.offset } });
    }
    return failures;
  }
}
