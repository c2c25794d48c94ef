import { loadConfig } from '../shared/config';
import { createObservability } from '../shared/observability';
import { createOutboxDeps } from '../shared/outbox-dependencies';
import { createOutboxRelayHandler } from './outbox-relay-handler';

export { createOutboxRelayHandler };

const config = loadConfig();
const observability = createObservability('outbox-relay');

export const handler = createOutboxRelayHandler(
  createOutboxDeps(config, observability.logger),
  observability,
);
