import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { createOutboxDeps } from '../runtime/outbox-dependencies';
import { createOutboxRelayHandler } from './outbox-relay-handler';

export { createOutboxRelayHandler };

const config = loadConfig();
const observability = createObservability('outbox-relay');

export const handler = createOutboxRelayHandler(
  createOutboxDeps(config, observability.logger),
  observability,
);
