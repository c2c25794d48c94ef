import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { connectRedis } from '../runtime/redis-connection';
import { createChangeEventsHandler } from './change-events-handler';
import { createChangeDeps } from './dependencies';

const config = loadConfig();
const observability = createObservability('change-events');
const redis = await connectRedis(config, (error) =>
  observability.logger.warn('Redis connection error', { error: error.message }),
);

const deps = createChangeDeps(config, redis, observability.logger);

export const handler = createChangeEventsHandler(deps, observability, {
  reportBatchItemFailures: config.processing.reportBatchItemFailures,
});
