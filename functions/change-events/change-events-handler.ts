import type { Context } from 'aws-lambda';
import { applyChangeBatch, type ChangeBatchDeps } from '../core/changes/apply-batch';
import { decodeMskEvent, type MskEvent } from '../core/kafka-record';
import type { BatchItemFailure } from '../core/record-fates';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';
import { emitChangeMetrics } from './change-metrics';

export class UnfinishedChangeBatchError extends Error {}

/**
 * The consumer of policy-updated and family-updated: decode, apply, report
 * what is unfinished as Kafka batch item failures (or, without partial batch
 * responses, fail the batch whole: applying is idempotent).
 */
export interface ChangeEventsOptions {
  readonly reportBatchItemFailures: boolean;
}

export function createChangeEventsHandler(
  deps: ChangeBatchDeps,
  observability: Observability,
  options: ChangeEventsOptions = { reportBatchItemFailures: true },
) {
  const { logger, metrics } = observability;
  return withObservability(
    async (event: MskEvent, _context: Context): Promise<{ batchItemFailures: BatchItemFailure[] }> => {
      const { batchItemFailures, report } = await applyChangeBatch(decodeMskEvent(event), deps);
      emitChangeMetrics(metrics, report, batchItemFailures.length);
      logger.info('change batch processed', { report, batchItemFailures });
      if (batchItemFailures.length > 0 && !options.reportBatchItemFailures) {
        throw new UnfinishedChangeBatchError(
          `${report.unfinished} records unfinished; the batch is retried whole`,
        );
      }
      return { batchItemFailures };
    },
    observability,
  );
}
