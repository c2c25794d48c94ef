import type { Context } from 'aws-lambda';
import { decodeMskEvent, type MskEvent } from '../core/kafka-record';
import { type BatchItemFailure, type SettlementDeps, settleBatch } from '../core/settlement/settle-batch';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';
import { emitBatchMetrics, emitDecisionLatencies } from './batch-metrics';
import { timeDecisions } from './decision-latency';

export interface KafkaBatchResponse {
  batchItemFailures: BatchItemFailure[];
}

export class UnfinishedBatchError extends Error {}

export interface UsageEventsOptions {
  readonly reportBatchItemFailures: boolean;
  /** Sees each batch's decision latencies, the values DecisionLatencyMs is emitted with (the benchmark's open loop). */
  readonly onDecisionLatencies?: (latenciesMs: ReadonlyArray<number>) => void;
}

/**
 * The MSK consumer: decode, settle, report what is unfinished as Kafka batch
 * item failures. Without partial batch responses (an MSK mapping without
 * provisioned pollers ignores them) an unfinished batch throws instead, so
 * Lambda retries the whole batch: settling is idempotent, so that is safe.
 * Nothing else happens here: the live usage snapshots come from the ledger's
 * stream (functions/usage-snapshots), so settlement never waits for them.
 */
export function createUsageEventsHandler(
  deps: SettlementDeps,
  observability: Observability,
  options: UsageEventsOptions = { reportBatchItemFailures: true },
) {
  const { logger, metrics } = observability;
  return withObservability(async (event: MskEvent, _context: Context): Promise<KafkaBatchResponse> => {
    const started = Date.now();
    const batches = decodeMskEvent(event);
    const latencies: number[] = [];
    const ledger = timeDecisions(deps.ledger, batches, deps.clock, (ms) => latencies.push(ms));
    const { batchItemFailures, report } = await settleBatch(batches, { ...deps, ledger });
    emitBatchMetrics(metrics, report, Date.now() - started, batchItemFailures.length);
    emitDecisionLatencies(metrics, latencies);
    options.onDecisionLatencies?.(latencies);
    logger.info('batch processed', { report, batchItemFailures });
    if (batchItemFailures.length > 0 && !options.reportBatchItemFailures) {
      throw new UnfinishedBatchError(`${report.unfinished} records unfinished; the batch is retried whole`);
    }
    return { batchItemFailures };
  }, observability);
}
