import type { Context } from 'aws-lambda';
import { decodeMskEvent, type MskEvent } from '../core/kafka-record';
import { type BatchItemFailure, type SettlementDeps, settleBatch } from '../core/settle-batch';
import { withObservability } from '../shared/middleware';
import type { Observability } from '../shared/observability';
import { emitBatchMetrics } from './batch-metrics';

export interface KafkaBatchResponse {
  batchItemFailures: BatchItemFailure[];
}

/** The MSK consumer: decode, settle, report what is unfinished as Kafka batch item failures. */
export function createUsageEventsHandler(deps: SettlementDeps, observability: Observability) {
  const { logger, metrics } = observability;
  return withObservability(async (event: MskEvent, _context: Context): Promise<KafkaBatchResponse> => {
    const started = Date.now();
    const { batchItemFailures, report } = await settleBatch(decodeMskEvent(event), deps);
    emitBatchMetrics(metrics, report, Date.now() - started, batchItemFailures.length);
    logger.info('batch processed', { report, batchItemFailures });
    return { batchItemFailures };
  }, observability);
}
