import { FirehoseArchiveSink } from '../adapters/firehose/archive-sink';
import { createFirehoseClient } from '../adapters/firehose/client';
import { ConfigError, loadConfig } from '../runtime/config';
import { ENV } from '../runtime/env';
import { createObservability } from '../runtime/observability';
import { createSettlementArchiverHandler } from './settlement-archiver-handler';

const config = loadConfig();
if (!config.archiveDeliveryStream) throw new ConfigError(`${ENV.archiveDeliveryStream} is required`);
const sink = new FirehoseArchiveSink(
  createFirehoseClient({ endpoint: config.endpoints.firehose }),
  config.archiveDeliveryStream,
  { maxAttempts: config.processing.retryMaxAttempts, baseDelayMs: config.processing.retryBaseDelayMs },
);

export const handler = createSettlementArchiverHandler(sink, createObservability('settlement-archiver'));
