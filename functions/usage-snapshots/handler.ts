import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { loadConfig } from '../runtime/config';
import { createObservability } from '../runtime/observability';
import { createUsageSnapshotsDeps } from './dependencies';
import { createUsageSnapshotsHandler } from './usage-snapshots-handler';

const config = loadConfig();

/**
 * With USAGE_SNAPSHOTS off the function takes its stream batches and
 * publishes nothing, and needs no brokers: the snapshots stop without a deploy.
 */
export const handler: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse> =
  config.usageSnapshots.enabled
    ? createUsageSnapshotsHandler(
        createUsageSnapshotsDeps(config, process.env.AWS_REGION),
        createObservability('usage-snapshots'),
      )
    : async () => ({ batchItemFailures: [] });
