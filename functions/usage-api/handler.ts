import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { createUsageApiDeps } from './dependencies';
import { createUsageApiHandler } from './usage-api-handler';

export const handler = createUsageApiHandler(
  createUsageApiDeps(loadConfig()),
  createObservability('usage-api'),
);
