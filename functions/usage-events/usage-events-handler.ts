import type { Context } from 'aws-lambda';
import { decodeMskEvent, type MskEvent } from '../core/kafka-record';
import { type BatchItemFailure, type SettlementDeps, settleBatch } from '../core/settle-batch';
import { withObservability } from '../shared/middleware';
import type { Observability } from '../shared/observability';
import { emitBatchMetrics } from './batch-metrics';

export interface KafkaBatchResponse {
  batchItemFailures: BatchItemFailure[];
}

export class UnfinishedBatchError extends Error {}

/**
 * The MSK consumer: decode, settle, report what is unfinished as Kafka batch
 * item failures. Without partial batch responses (an MSK mapping without
 * provisioned pollers ignores them) an unfinished batch throws instead, so
 * Lambda retries the whole batch: settling is idempotent, so that is safe.
 */
export function createUsageEventsHandler(
  deps: SettlementDeps,
  observability: Observability,
  options: { reportBatchItemFailures: boolean } = { reportBatchItemFailures: true },
) {
  const { logger, metrics } = observability;
  return withObservability(async (event: MskEvent, _context: Context): Promise<KafkaBatchResponse> => {
    const started = Date.now();
    const { batchItemFailures, report } = await settleBatch(decodeMskEvent(event), deps);
    emitBatchMetrics(metrics, report, Date.now() - started, batchItemFailures.length);
    logger.info('batch processed', { report, batchItemFailures });
    if (batchItemFailures.length > 0 && !options.reportBatchItemFailures) {
      throw new UnfinishedBatchError(`${report.unfinished} records unfinished; the batch is retried whole`);
    }
    return { batchItemFailures };
  }, observability);
}
