import type { Context } from 'aws-lambda';
import { applyConfigBatch, type ConfigBatchDeps } from '../core/config/apply-batch';
import { decodeMskEvent, type MskEvent } from '../core/kafka-record';
import type { SnapshotDeps } from '../core/publish-snapshots';
import type { BatchItemFailure } from '../core/record-fates';
import { publishLiveUsage } from '../runtime/live-usage';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';
import { emitConfigMetrics } from './config-metrics';

export class UnfinishedConfigBatchError extends Error {}

/**
 * The consumer of policy-updated and family-updated: decode, apply, report
 * what is unfinished as Kafka batch item failures (or, without partial batch
 * responses, fail the batch whole: applying is idempotent).
 */
export interface ConfigEventsOptions {
  readonly reportBatchItemFailures: boolean;
  /** Live usage snapshots of the screens a change alters (a block, a limit, the pool); absent, none. */
  readonly snapshots?: SnapshotDeps;
}

export function createConfigEventsHandler(
  deps: ConfigBatchDeps,
  observability: Observability,
  options: ConfigEventsOptions = { reportBatchItemFailures: true },
) {
  const { logger, metrics } = observability;
  return withObservability(
    async (event: MskEvent, context: Context): Promise<{ batchItemFailures: BatchItemFailure[] }> => {
      const { batchItemFailures, report, committedChanges } = await applyConfigBatch(
        decodeMskEvent(event),
        deps,
      );
      emitConfigMetrics(metrics, report, batchItemFailures.length);
      logger.info('config batch processed', { report, batchItemFailures });
      if (options.snapshots)
        await publishLiveUsage(committedChanges, options.snapshots, context, observability);
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
