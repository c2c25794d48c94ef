import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { outboxChanges } from '../adapters/dynamodb/outbox-stream';
import type { DeliveryDeps } from '../core/outbox/delivery';
import { relay } from '../core/outbox/relay';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';
import { emitDeliveryMetrics } from '../runtime/outbox-metrics';

/**
 * The outbox stream consumer: publish new pending items, report records whose
 * outbox writes failed as stream batch item failures (by sequence number).
 * Powertools' BatchProcessor handles one record at a time; the relay publishes
 * up to ten entries per PutEvents call, so it builds the response itself.
 */
export function createOutboxRelayHandler(deps: DeliveryDeps, observability: Observability) {
  const { logger, metrics } = observability;
  return withObservability(
    async (event: DynamoDBStreamEvent, _context: Context): Promise<DynamoDBBatchResponse> => {
      const { failedSequenceNumbers, report } = await relay(outboxChanges(event.Records ?? []), deps);
      emitDeliveryMetrics(metrics, report);
      logger.info('outbox stream batch relayed', { report, failed: failedSequenceNumbers.length });
      return { batchItemFailures: failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
    },
    observability,
  );
}
