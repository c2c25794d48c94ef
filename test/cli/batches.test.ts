import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';
import { freePort } from '../../local/services/free-port';
import { type CliEnv, startCliEnv } from './support/cli-env';

let env: CliEnv;
let sqs: SQSClient;

beforeAll(async () => {
  env = await startCliEnv('cli-batches');
  sqs = new SQSClient({
    endpoint: env.config.endpoints.sqs,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
});
afterAll(async () => {
  sqs?.destroy();
  await env?.stopAll();
});

/** What the MSK mapping sends to its on-failure queue, naming a broker of the cluster. */
const failureRecord = (bootstrap: string) =>
  JSON.stringify({
    requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
    version: '1.0',
    timestamp: new Date().toISOString(),
    KafkaBatchInfo: {
      batchSize: 2,
      eventSourceArn: 'arn:aws:kafka:ap-northeast-2:000000000000:cluster/local/1',
      bootstrapServers: bootstrap,
      recordsInfo: { 'usage-events-0': { firstRecordOffset: '4', lastRecordOffset: '5' } },
    },
  });

describe('batches replay', () => {
  it('names the broker it cannot reach and why, in one line, exit 1, and keeps the record', async () => {
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'failed-batches' }),
    );
    const broker = `127.0.0.1:${await freePort()}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: failureRecord(broker) }));

    const result = await env.cli(['batches', 'replay', '--kafka-auth', 'none'], {
      FAILED_BATCHES_QUEUE_URL: queueUrl,
    });

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `usage-settlement: cannot read Kafka at ${broker} (plaintext listener): connect ECONNREFUSED ${broker}; ` +
        'the failure records not replayed stay in the queue\n',
    });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(1);
  });
});
