import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { fateChanges } from '../adapters/dynamodb/fate-stream';
import { type ArchiveSink, archiveFates } from '../core/archive/archive-fates';
import { METRIC } from '../runtime/metric-names';
import { withObservability } from '../runtime/middleware';
import { count, type Observability } from '../runtime/observability';

/**
 * The ledger stream consumer that keeps every fate beyond its expiry: each
 * settlement and rejection record written goes to the archive sink. What the
 * sink did not take is reported from its stream record on, so the mapping
 * delivers it again.
 */
export function createSettlementArchiverHandler(sink: ArchiveSink, observability: Observability) {
  const { logger, metrics } = observability;
  return withObservability(
    async (event: DynamoDBStreamEvent, _context: Context): Promise<DynamoDBBatchResponse> => {
      const { failedSequenceNumber, report } = await archiveFates(fateChanges(event.Records ?? []), sink);
      count(metrics, METRIC.fatesArchived, report.archived);
      count(metrics, METRIC.fatesArchiveFailed, report.failed);
      if (report.failed > 0) logger.warn('fates not archived; the batch is delivered again', { report });
      else logger.info('fates archived', { report });
      return { batchItemFailures: failedSequenceNumber ? [{ itemIdentifier: failedSequenceNumber }] : [] };
    },
    observability,
  );
}
