import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { connectRedis } from '../runtime/redis-connection';
import { createConfigEventsHandler } from './config-events-handler';
import { createConfigDeps } from './dependencies';

const config = loadConfig();
const observability = createObservability('config-events');
const redis = await connectRedis(config, (error) =>
  observability.logger.warn('Redis connection error', { error: error.message }),
);

export const handler = createConfigEventsHandler(
  createConfigDeps(config, redis, observability.logger),
  observability,
  {
    reportBatchItemFailures: config.processing.reportBatchItemFailures,
  },
);
