import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoHeldChanges } from '../adapters/dynamodb/held-changes';
import { createSqsClient } from '../adapters/sqs/client';
import { SqsDeadLetterQueue } from '../adapters/sqs/dead-letter-queue';
import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { createOutboxDeps } from '../runtime/outbox-dependencies';
import { createOutboxSweeperHandler } from './outbox-sweeper-handler';

export { createOutboxSweeperHandler };

const config = loadConfig();
const observability = createObservability('outbox-sweeper');

const outbox = createOutboxDeps(config, observability.logger);

export const handler = createOutboxSweeperHandler(outbox, observability, {
  safetyMarginMs: config.outbox.sweeperSafetyMarginMs,
  ...(config.deadLetterQueueUrl
    ? {
        heldChanges: {
          held: new DynamoHeldChanges(
            createDocumentClient({ endpoint: config.endpoints.dynamodb }),
            config.tables.ledger,
          ),
          deadLetters: new SqsDeadLetterQueue(
            createSqsClient({ endpoint: config.endpoints.sqs }),
            config.deadLetterQueueUrl,
          ),
          clock: outbox.clock,
          retry: {
            maxAttempts: config.processing.retryMaxAttempts,
            baseDelayMs: config.processing.retryBaseDelayMs,
          },
          log: observability.logger,
        },
      }
    : {}),
});
