import type { Context } from 'aws-lambda';
import { applyConfigBatch, type ConfigBatchDeps } from '../core/config/apply-batch';
import { decodeMskEvent, type MskEvent } from '../core/kafka-record';
import type { BatchItemFailure } from '../core/record-fates';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';
import { emitConfigMetrics } from './config-metrics';

export class UnfinishedConfigBatchError extends Error {}

/**
 * The consumer of policy-updated and family-updated: decode, apply, report
 * what is unfinished as Kafka batch item failures (or, without partial batch
 * responses, fail the batch whole: applying is idempotent).
 */
export function createConfigEventsHandler(
  deps: ConfigBatchDeps,
  observability: Observability,
  options: { reportBatchItemFailures: boolean } = { reportBatchItemFailures: true },
) {
  const { logger, metrics } = observability;
  return withObservability(
    async (event: MskEvent, _context: Context): Promise<{ batchItemFailures: BatchItemFailure[] }> => {
      const { batchItemFailures, report } = await applyConfigBatch(decodeMskEvent(event), deps);
      emitConfigMetrics(metrics, report, batchItemFailures.length);
      logger.info('config batch processed', { report, batchItemFailures });
      if (batchItemFailures.length > 0 && !options.reportBatchItemFailures) {
        throw new UnfinishedConfigBatchError(
          `${report.unfinished} records unfinished; the batch is retried whole`,
        );
      }
      return { batchItemFailures };
    },
    observability,
  );
}
