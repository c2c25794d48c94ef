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

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What a letter keeps of a part it had to cut: the part's full length and digest. */
interface Cut {
  readonly length: number;
  readonly sha256: string;
}

/** Budget each of the key and the headers keeps before they are cut (ASCII JSON characters). */
const PART_BUDGET = 16 * 1024;

/**
 * The message body of a letter, always within SQS's size limit. A record too
 * large to carry whole keeps the start of its value and of its key, and its
 * headers' names only when they are large, each cut part with its full length
 * and SHA-256 under `record.truncated`: the original stays in the Kafka topic
 * at the offset the letter names.
 */
export function deadLetterBody(letter: DeadLetter): string {
  const body = asciiJson(letter);
  const limit = MAX_BYTES - ATTRIBUTE_ALLOWANCE;
  if (body.length <= limit) return body;
  const { record } = letter;
  const truncated: Record<string, Cut> = {};
  const headersText = asciiJson(record.headers ?? []);
  let headers: unknown = record.headers;
  if (headersText.length > PART_BUDGET) {
    truncated.headers = { length: headersText.length, sha256: sha256(headersText) };
    headers = (record.headers ?? []).map((h) => Object.fromEntries(Object.keys(h).map((name) => [name, []])));
    if (asciiJson(headers).length > PART_BUDGET) headers = [];
  }
  let key = record.key;
  if (key !== null && key.length > PART_BUDGET) {
    truncated.key = { length: key.length, sha256: sha256(key) };
    key = key.slice(0, PART_BUDGET);
  }
  const value = record.value ?? '';
  const shell = asciiJson({ ...letter, record: { ...record, key, headers, value: '', truncated } });
  if (shell.length + value.length + 512 > limit) {
    truncated.value = { length: value.length, sha256: sha256(value) };
  }
  const kept = truncated.value ? Math.max(0, limit - shell.length - 512) : value.length;
  return asciiJson({
    ...letter,
    record: {
      ...record,
      key,
      headers,
      value: record.value === null ? null : value.slice(0, kept),
      truncated,
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
                letterId: { DataType: 'String', StringValue: letter.letterId },
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
