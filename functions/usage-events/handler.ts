import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { connectRedis } from '../runtime/redis-connection';
import { createSettlementDeps } from './dependencies';
import { createUsageEventsHandler } from './usage-events-handler';

const config = loadConfig();
const observability = createObservability('usage-events');
const redis = await connectRedis(config, (error) =>
  observability.logger.warn('Redis connection error', { error: error.message }),
);

const settlement = createSettlementDeps(config, redis, observability.logger);

export const handler = createUsageEventsHandler(settlement, observability, {
  reportBatchItemFailures: config.processing.reportBatchItemFailures,
});
