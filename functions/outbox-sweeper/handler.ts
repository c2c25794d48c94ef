import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { createOutboxDeps } from '../runtime/outbox-dependencies';
import { createOutboxSweeperHandler } from './outbox-sweeper-handler';

export { createOutboxSweeperHandler };

const config = loadConfig();
const observability = createObservability('outbox-sweeper');

export const handler = createOutboxSweeperHandler(
  createOutboxDeps(config, observability.logger),
  observability,
  {
    safetyMarginMs: config.outbox.sweeperSafetyMarginMs,
  },
);
