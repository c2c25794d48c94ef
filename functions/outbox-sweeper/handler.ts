import { loadConfig } from '../shared/config';
import { createObservability } from '../shared/observability';
import { createOutboxDeps } from '../shared/outbox-dependencies';
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
