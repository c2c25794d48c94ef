import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BatchReplayReport } from '../../cli/batch-replay';
import { periodOf } from '../../functions/core/time';
import { createTopics } from '../../local/kafka/broker/broker-kafka';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';
import { cliVariables, runCli } from '../cli/support/cli-env';
import { mskEvent, mskRecord, policyUpdated, usage } from '../helpers/msk';
import { type KafkaTestEnv, startKafkaTestEnv } from './support/kafka-test-env';

let env: KafkaTestEnv;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  env = await startKafkaTestEnv('batch-replay', 1);
  sqs = new SQSClient({
    endpoint: env.settlement.config.endpoints.sqs,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
});
// Each test its own queue: a record a test keeps on purpose must not reach the next one.
beforeEach(async () => {
  ({ QueueUrl: queueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: `failed-batches-${Date.now().toString(36)}` }),
  ));
});
afterAll(async () => {
  sqs.destroy();
  await env.stop();
});

/** What the MSK mapping sends to its on-failure queue when it gives up on a batch. */
const failureRecord = (topic: string, partition: number, first: number, last: number) =>
  JSON.stringify({
    requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
    version: '1.0',
    timestamp: new Date().toISOString(),
    KafkaBatchInfo: {
      batchSize: last - first + 1,
      eventSourceArn: 'arn:aws:kafka:ap-northeast-2:000000000000:cluster/local/1',
      bootstrapServers: env.bootstrap,
      recordsInfo: {
        [`${topic}-${partition}`]: { firstRecordOffset: String(first), lastRecordOffset: String(last) },
      },
    },
  });

const replay = async (...options: string[]) => {
  const result = await runCli(['batches', 'replay', '--kafka-auth', 'none', '--json', ...options], {
    ...cliVariables(env.settlement.config),
    FAILED_BATCHES_QUEUE_URL: queueUrl,
  });
  return { ...result, report: result.stdout ? (JSON.parse(result.stdout) as BatchReplayReport) : null };
};

const queued = async () => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
};

describe('batches replay: offsets the MSK mapping skipped, read again from the broker', () => {
  it('settles exactly the skipped offsets once, counts those settled before as duplicates, and deletes the record', async () => {
    const [familyId] = await env.families(1);
    const envelopes = env.usageEvents([familyId as number], 10);
    await env.produce(envelopes);
    // The mapping settled offsets 0-3, then gave up on the batch of offsets 2-9.
    const records = (await env.kafka.records(env.topic)).filter((r) => r.offset <= 3);
    await env.settlement.invoke({ eventSource: 'aws:kafka', records: { [`${env.topic}-0`]: records } });
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: failureRecord(env.topic, 0, 2, 9) }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"not":"a failure record"}' }));

    const first = await replay();

    expect(first.code, first.stderr).toBe(0);
    expect(first.report).toMatchObject({ received: 2, unreadable: 1 });
    expect(first.report?.batches).toEqual([
      expect.objectContaining({
        ranges: [{ topic: env.topic, partition: 0, first: 2, last: 9 }],
        records: 8,
        gone: [],
        unfinished: 0,
        deleted: true,
        usage: expect.objectContaining({ settled: { NORMAL: 6 }, duplicates: 2 }),
      }),
    ]);
    await env.expectSettledOnce(envelopes);
    // The message that is not a failure record stays for someone else.
    expect(await queued()).toBe(1);

    const again = await replay();
    expect(again.report?.batches).toEqual([]);
    await env.expectSettledOnce(envelopes);
  });

  it('replays what the topic still holds, names the offsets retention deleted, and keeps the record', async () => {
    const [familyId] = await env.families(1);
    const envelopes = env.usageEvents([familyId as number], 6);
    const first = (await env.endOffsets())[0] ?? 0;
    await env.produce(envelopes);
    const admin = new Admin({ clientId: 'retention', bootstrapBrokers: [env.bootstrap] });
    // As retention would: the oldest two records of the batch are deleted before anyone replays them.
    await admin.deleteRecords({
      topics: [{ name: env.topic, partitions: [{ partition: 0, offset: BigInt(first + 2) }] }],
    });
    await admin.close();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: failureRecord(env.topic, 0, first, first + 5),
      }),
    );

    const result = await replay();

    expect(result.code).toBe(1);
    expect(result.report?.batches).toEqual([
      expect.objectContaining({
        records: 4,
        gone: [{ topic: env.topic, partition: 0, first, last: first + 1 }],
        deleted: false,
        usage: expect.objectContaining({ settled: { NORMAL: 4 } }),
      }),
    ]);
    await env.expectSettledOnce(envelopes.slice(2));
    expect(await queued()).toBe(1);
  });

  it('applies policy and family events of the topics named as such', async () => {
    const [familyId] = (await env.families(1)) as [number];
    const customerId = familyId * 10 + 1;
    const policyTopic = `${env.topic}-policy`;
    await createTopics(env.bootstrap, [{ name: policyTopic, partitions: 1 }]);
    const change = policyUpdated(`block-${familyId}`, { familyId, customerId }, 'BLOCK:ACCESS', '1');
    await env.kafka.produce(policyTopic, [{ key: String(familyId), value: JSON.stringify(change) }]);
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: failureRecord(policyTopic, 0, 0, 0) }),
    );

    const result = await replay('--change-topics', `other,${policyTopic}`);

    expect(result.report?.batches).toEqual([
      expect.objectContaining({
        deleted: true,
        usage: null,
        config: expect.objectContaining({ applied: { POLICY_UPDATED: 1 } }),
      }),
    ]);
    const event = usage(`after-${familyId}`, familyId, customerId, 10);
    await env.settlement.invoke(mskEvent([mskRecord(0, 0, event)]));
    const [settled] = await env.settlement.settlements(familyId, periodOf(Date.now(), 'Asia/Seoul'));
    expect(settled?.decision).toBe('MANUAL');
  });
});
