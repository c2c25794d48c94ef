import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { QueueReader, type Received } from './queue-reader';

/** A run of one partition's offsets, both ends included. */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

/**
 * What Lambda's MSK event source mapping sends to its on-failure destination
 * when it gives up on a batch (retries exhausted, record too old, payload too
 * large): where the batch came from, and per "<topic>-<partition>" the first
 * and last offsets it held. The records themselves stay in Kafka.
 */
export interface FailedBatch {
  /** RetryAttemptsExhausted, MaximumPayloadSizeExceeded, ... */
  readonly condition: string;
  readonly failedAt: string;
  readonly eventSourceArn: string;
  readonly bootstrapServers: string;
  readonly ranges: ReadonlyArray<OffsetRange>;
}

const offset = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(Number);

const recordSchema = z.looseObject({
  requestContext: z.looseObject({ condition: z.string().default('') }).optional(),
  timestamp: z.string().default(''),
  KafkaBatchInfo: z.looseObject({
    eventSourceArn: z.string().default(''),
    bootstrapServers: z.string().default(''),
    recordsInfo: z.record(z.string(), z.looseObject({ firstRecordOffset: offset, lastRecordOffset: offset })),
  }),
});

/** "<topic>-<partition>": topics may contain '-', the partition is what follows the last one. */
function topicPartition(key: string): { topic: string; partition: number } | null {
  const match = /^(.+)-(\d+)$/.exec(key);
  return match ? { topic: match[1] as string, partition: Number(match[2]) } : null;
}

export function parseFailedBatch(body: string | undefined): FailedBatch | null {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return null;
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) return null;
  const info = parsed.data.KafkaBatchInfo;
  const ranges: OffsetRange[] = [];
  for (const [key, range] of Object.entries(info.recordsInfo)) {
    const at = topicPartition(key);
    if (!at || range.lastRecordOffset < range.firstRecordOffset) return null;
    ranges.push({ ...at, first: range.firstRecordOffset, last: range.lastRecordOffset });
  }
  if (ranges.length === 0) return null;
  return {
    condition: parsed.data.requestContext?.condition ?? '',
    failedAt: parsed.data.timestamp,
    eventSourceArn: info.eventSourceArn,
    bootstrapServers: info.bootstrapServers,
    ranges: ranges.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
  };
}

export interface ReceivedFailure extends Received {
  readonly receiveCount: number;
  /** Null when the body is not an MSK on-failure record. */
  readonly batch: FailedBatch | null;
}

function toReceived(message: Message): ReceivedFailure | null {
  if (!message.MessageId || !message.ReceiptHandle) return null;
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    batch: parseFailedBatch(message.Body),
  };
}

/** Reads the MSK mappings' on-failure queue (see QueueReader). */
export class FailedBatchReader extends QueueReader<ReceivedFailure> {
  constructor(sqs: SQSClient, queueUrl: string) {
    super(sqs, queueUrl, toReceived);
  }
}
