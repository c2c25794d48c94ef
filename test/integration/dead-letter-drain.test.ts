import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainDeadLetters } from '../../functions/adapters/sqs/dead-letter-drain';
import { SqsDeadLetterQueue } from '../../functions/adapters/sqs/dead-letter-queue';
import type { DeadLetter } from '../../functions/core/ports';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';

const letter = (offset: number): DeadLetter => ({
  letterId: `letter-${offset}`,
  reason: 'MALFORMED_JSON',
  message: 'value is not JSON',
  partitionKey: 'usage-events-0',
  eventId: null,
  rejectedAt: '2026-11-21T00:00:00.000Z',
  record: {
    topic: 'usage-events',
    partition: 0,
    offset,
    timestamp: 1,
    timestampType: 'CREATE_TIME',
    key: null,
    value: 'e30=',
    headers: [],
  },
});

let server: Awaited<ReturnType<typeof startFauxqs>>;
let sqs: SQSClient;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  sqs = new SQSClient({ endpoint: server.address, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

describe('drainDeadLetters', () => {
  it('returns every letter, over more than one receive, and leaves the queue empty', async () => {
    const { queueUrl } = server.createQueue('drain-dlq');
    const sent = Array.from({ length: 23 }, (_, i) => letter(i));
    expect(await new SqsDeadLetterQueue(sqs, queueUrl).send(sent)).toEqual([]);

    const drained = await drainDeadLetters(sqs, queueUrl);

    expect(drained.map((l) => l.record.offset).sort((a, b) => a - b)).toEqual(
      sent.map((l) => l.record.offset),
    );
    expect(drained[0]).toEqual(sent.find((l) => l.record.offset === drained[0]?.record.offset));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('returns nothing from an empty queue', async () => {
    const { queueUrl } = server.createQueue('empty-dlq');

    expect(await drainDeadLetters(sqs, queueUrl)).toEqual([]);
  });
});
