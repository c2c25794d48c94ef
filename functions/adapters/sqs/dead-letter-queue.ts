import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterQueue } from '../../core/ports';

const MAX_BATCH = 10;

/**
 * Rejected events to SQS: the original record, the reason code and a human
 * message, in batches of ten. Entries SQS did not accept are handed back so the
 * caller can retry them or leave their partition to be redelivered.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letters: ReadonlyArray<DeadLetter>): Promise<ReadonlyArray<DeadLetter>> {
    const failed: DeadLetter[] = [];
    for (let i = 0; i < letters.length; i += MAX_BATCH) {
      const chunk = letters.slice(i, i + MAX_BATCH);
      try {
        const { Failed } = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((letter, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify(letter),
              MessageAttributes: {
                reason: { DataType: 'String', StringValue: letter.reason },
                partition: { DataType: 'String', StringValue: letter.partitionKey },
              },
            })),
          }),
        );
        for (const entry of Failed ?? []) {
          const letter = chunk[Number(entry.Id)];
          if (letter) failed.push(letter);
        }
      } catch {
        failed.push(...chunk);
      }
    }
    return failed;
  }
}
