import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { MskRecord } from '../../core/kafka-record';
import type { DeadLetter } from '../../core/ports';
import { REJECTION_REASONS } from '../../core/rejection';
import { QueueReader } from './queue-reader';

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

/** Reads the rejected-event queue for operators (see QueueReader). */
export class DeadLetterReader extends QueueReader<ReceivedLetter> {
  constructor(sqs: SQSClient, queueUrl: string) {
    super(sqs, queueUrl, toReceived);
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
