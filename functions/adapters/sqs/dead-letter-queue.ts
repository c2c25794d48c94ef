import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterQueue } from '../../core/ports';

const MAX_ENTRIES = 10;
/** SQS's limit for one message and for a whole batch (the default maximum message size). */
const MAX_BYTES = 256 * 1024;
/** Room kept for message attributes and entry ids, which count towards the limits. */
const ATTRIBUTE_ALLOWANCE = 1024;

/**
 * JSON with everything outside ASCII escaped (JSON.stringify already escapes
 * control characters): a letter carries untrusted text (event ids,
 * timestamps, header names) and SQS refuses some characters, such as U+FFFE
 * and U+FFFF, in a message body.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The message body of a letter. A record too large for SQS keeps the start of
 * its value, with its full length and SHA-256: the original stays in the
 * Kafka topic at the offset the letter names.
 */
export function deadLetterBody(letter: DeadLetter): string {
  const body = asciiJson(letter);
  if (body.length <= MAX_BYTES - ATTRIBUTE_ALLOWANCE) return body;
  const value = letter.record.value ?? '';
  const kept = Math.max(0, MAX_BYTES - ATTRIBUTE_ALLOWANCE - (body.length - value.length) - 512);
  return asciiJson({
    ...letter,
    record: {
      ...letter.record,
      value: value.slice(0, kept),
      valueTruncated: { length: value.length, sha256: createHash('sha256').update(value).digest('hex') },
    },
  });
}

/**
 * Rejected events to SQS: the original record, the reason code and a human
 * message, in batches within SQS's count and size limits. Entries SQS did not
 * accept are handed back so the caller can retry them or leave their
 * partition to be redelivered.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letters: ReadonlyArray<DeadLetter>): Promise<ReadonlyArray<DeadLetter>> {
    const failed: DeadLetter[] = [];
    for (const batch of batches(letters)) {
      try {
        const { Failed } = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map(({ letter, body }, index) => ({
              Id: String(index),
              MessageBody: body,
              MessageAttributes: {
                reason: { DataType: 'String', StringValue: letter.reason },
                partition: { DataType: 'String', StringValue: letter.partitionKey },
              },
            })),
          }),
        );
        for (const entry of Failed ?? []) {
          const item = batch[Number(entry.Id)];
          if (item) failed.push(item.letter);
        }
      } catch {
        failed.push(...batch.map((b) => b.letter));
      }
    }
    return failed;
  }
}

function batches(letters: ReadonlyArray<DeadLetter>) {
  const result: Array<Array<{ letter: DeadLetter; body: string }>> = [];
  let current: Array<{ letter: DeadLetter; body: string }> = [];
  let bytes = 0;
  for (const letter of letters) {
    const body = deadLetterBody(letter);
    const size = body.length + ATTRIBUTE_ALLOWANCE;
    if (current.length === MAX_ENTRIES || (current.length > 0 && bytes + size > MAX_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ letter, body });
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
