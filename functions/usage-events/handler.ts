import { loadConfig } from '../shared/config';
import { createObservability } from '../shared/observability';
import { connectRedis } from '../shared/redis-connection';
import { createSettlementDeps } from './dependencies';
import { createUsageEventsHandler } from './usage-events-handler';

const config = loadConfig();
const observability = createObservability('usage-events');
const redis = await connectRedis(config);

export const handler = createUsageEventsHandler(
  createSettlementDeps(config, redis, observability.logger),
  observability,
);
