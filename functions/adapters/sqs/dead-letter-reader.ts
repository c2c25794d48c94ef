import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { MskRecord } from '../../core/kafka-record';
import type { DeadLetter } from '../../core/ports';
import { REJECTION_REASONS } from '../../core/rejection';

const MAX_BATCH = 10;

export interface ReceivedLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
  /** The message's `reason` attribute, or the letter's reason. */
  readonly reason: string | null;
  /** Null when the body is not a dead letter this product wrote. */
  readonly letter: DeadLetter | null;
}

const recordSchema = z.looseObject({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
  key: z.string().nullable(),
  value: z.string().nullable(),
});

const letterSchema = z.looseObject({
  letterId: z.string().default(''),
  reason: z.enum(REJECTION_REASONS),
  message: z.string(),
  partitionKey: z.string().min(1),
  record: recordSchema,
  eventId: z.string().nullable().default(null),
  rejectedAt: z.string().default(''),
});

function parseLetter(body: string | undefined): DeadLetter | null {
  try {
    const parsed = letterSchema.safeParse(JSON.parse(body ?? ''));
    if (!parsed.success) return null;
    // The record goes back exactly as delivered: no field is dropped or reshaped.
    return { ...parsed.data, record: parsed.data.record as unknown as MskRecord };
  } catch {
    return null;
  }
}

/**
 * Reads the rejected-event queue for operators. Received messages stay
 * invisible to other readers for the visibility timeout given, until they are
 * deleted or released; receiving counts as a receive in SQS's statistics.
 */
export class DeadLetterReader {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Receives up to `max` messages, until the queue answers with none. */
  async receive(options: { max: number; visibilitySeconds: number }): Promise<ReceivedLetter[]> {
    const received = new Map<string, ReceivedLetter>();
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
        const letter = toReceived(message);
        if (letter) received.set(letter.messageId, letter);
      }
      // Only messages seen already: their visibility ran out, the queue has been read through.
      if (received.size === before) break;
    }
    return [...received.values()];
  }

  /** Makes messages visible again at once. */
  async release(letters: ReadonlyArray<ReceivedLetter>): Promise<void> {
    for (let i = 0; i < letters.length; i += MAX_BATCH) {
      const chunk = letters.slice(i, i + MAX_BATCH);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((l, index) => ({
            Id: String(index),
            ReceiptHandle: l.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  /** Deletes messages; returns those SQS did not delete. */
  async delete(letters: ReadonlyArray<ReceivedLetter>): Promise<ReceivedLetter[]> {
    const failed: ReceivedLetter[] = [];
    for (let i = 0; i < letters.length; i += MAX_BATCH) {
      const chunk = letters.slice(i, i + MAX_BATCH);
      const { Failed } = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((l, index) => ({ Id: String(index), ReceiptHandle: l.receiptHandle })),
        }),
      );
      for (const entry of Failed ?? []) {
        const letter = chunk[Number(entry.Id)];
        if (letter) failed.push(letter);
      }
    }
    return failed;
  }
}

function toReceived(message: Message): ReceivedLetter | null {
  if (!message.MessageId || !message.ReceiptHandle) return null;
  const letter = parseLetter(message.Body);
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    reason: message.MessageAttributes?.reason?.StringValue ?? letter?.reason ?? null,
    letter,
  };
}
