import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter } from '../../core/ports';

/**
 * Receives and deletes every message of a dead-letter queue until it answers
 * with none, returning the letters as written. For a queue nobody else reads:
 * the local pipeline's summary and the tests. Operators use DeadLetterReader,
 * which validates letters and deletes only what was replayed.
 */
export async function drainDeadLetters(sqs: SQSClient, queueUrl: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!Messages || Messages.length === 0) return letters;
    letters.push(...Messages.map((m) => JSON.parse(m.Body ?? '{}') as DeadLetter));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}
