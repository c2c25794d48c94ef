import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

const MAX_BATCH = 10;

/** A received message: what deleting or releasing it needs. */
export interface Received {
  readonly messageId: string;
  readonly receiptHandle: string;
}

/**
 * Reads a queue for operators. Received messages stay invisible to other
 * readers for the visibility timeout given, until they are deleted or
 * released; receiving counts as a receive in SQS's statistics.
 */
export class QueueReader<T extends Received> {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly read: (message: Message) => T | null,
  ) {}

  /** Receives up to `max` messages, until the queue answers with none. */
  async receive(options: { max: number; visibilitySeconds: number }): Promise<T[]> {
    const received = new Map<string, T>();
    while (received.size < options.max) {
      const { Messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(MAX_BATCH, options.max - received.size),
          VisibilityTimeout: options.visibilitySeconds,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      if (!Messages || Messages.length === 0) break;
      const before = received.size;
      for (const message of Messages) {
        const item = this.read(message);
        if (item) received.set(item.messageId, item);
      }
      // Only messages seen already: their visibility ran out, the queue has been read through.
      if (received.size === before) break;
    }
    return [...received.values()];
  }

  /** Makes messages visible again at once. */
  async release(items: ReadonlyArray<T>): Promise<void> {
    for (let i = 0; i < items.length; i += MAX_BATCH) {
      const chunk = items.slice(i, i + MAX_BATCH);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((m, index) => ({
            Id: String(index),
            ReceiptHandle: m.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  /** Deletes messages; returns those SQS did not delete. */
  async delete(items: ReadonlyArray<T>): Promise<T[]> {
    const failed: T[] = [];
    for (let i = 0; i < items.length; i += MAX_BATCH) {
      const chunk = items.slice(i, i + MAX_BATCH);
      const { Failed } = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((m, index) => ({ Id: String(index), ReceiptHandle: m.receiptHandle })),
        }),
      );
      for (const entry of Failed ?? []) {
        const item = chunk[Number(entry.Id)];
        if (item) failed.push(item);
      }
    }
    return failed;
  }
}
