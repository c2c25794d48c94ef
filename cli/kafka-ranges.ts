import { Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { fetchRecords } from '../functions/adapters/kafka/fetch-records';
import type { OffsetRange } from '../functions/adapters/sqs/failed-batch-reader';
import type { MskRecord } from '../functions/core/kafka-record';
import { OperationError } from './errors';

/** How the CLI reaches the brokers: MSK's IAM listener (TLS, SASL OAUTHBEARER) or a plain one. */
export type KafkaAuth = 'iam' | 'none';

export interface KafkaAccess {
  /** host:port of one broker. */
  readonly bootstrap: string;
  readonly auth: KafkaAuth;
  readonly region: string;
}

export interface RangeRead {
  /** The records the ranges hold, by partition and offset. */
  readonly records: MskRecord[];
  /** Offsets the topic no longer holds (retention deleted them): they cannot be replayed. */
  readonly gone: OffsetRange[];
}

const FETCH_WAIT_MS = 500;

function connection(access: KafkaAccess) {
  if (access.auth === 'none') return {};
  return {
    tls: {},
    sasl: {
      mechanism: 'OAUTHBEARER' as const,
      // A signed kafka-cluster:Connect request, valid 15 minutes, from the default credential chain.
      token: async () => (await generateAuthToken({ region: access.region })).token,
    },
  };
}

/**
 * The first error at the bottom of the Kafka client's wrapping: it retries and
 * aggregates ("metadata failed 4 times." around "Cannot connect to any
 * broker." around the socket's ECONNREFUSED), and only the last says why.
 */
function rootCause(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 10; depth++) {
    const errors = (current as { errors?: unknown }).errors;
    const next =
      Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as { cause?: unknown }).cause;
    if (!(next instanceof Error)) break;
    current = next;
  }
  return current instanceof Error ? current.message : String(current);
}

const LISTENERS: Record<KafkaAuth, string> = { iam: 'IAM listener, TLS', none: 'plaintext listener' };

/**
 * Reads the records of offset ranges, outside any consumer group (no offset
 * is committed, the mappings' groups are untouched). A range that starts
 * before the topic's earliest offset is reported as gone up to it. A broker
 * that cannot be read is an OperationError naming it and the cause.
 */
export async function readOffsetRanges(
  access: KafkaAccess,
  ranges: ReadonlyArray<OffsetRange>,
): Promise<RangeRead> {
  try {
    return await readRanges(access, ranges);
  } catch (error) {
    throw new OperationError(
      `cannot read Kafka at ${access.bootstrap} (${LISTENERS[access.auth]}): ${rootCause(error)}; ` +
        'the failure records not replayed stay in the queue',
    );
  }
}

async function readRanges(access: KafkaAccess, ranges: ReadonlyArray<OffsetRange>): Promise<RangeRead> {
  const reader = new Consumer({
    clientId: 'usage-settlement-replay',
    groupId: 'usage-settlement-replay-reader',
    bootstrapBrokers: [access.bootstrap],
    ...connection(access),
  });
  const records: MskRecord[] = [];
  const gone: OffsetRange[] = [];
  try {
    for (const topic of new Set(ranges.map((r) => r.topic))) {
      const own = ranges.filter((r) => r.topic === topic);
      const earliest = (
        (await reader.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST }))?.get(
          topic,
        ) ?? []
      ).map(Number);
      for (const range of own) {
        const start = earliest[range.partition] ?? 0;
        if (range.first < start) gone.push({ ...range, last: Math.min(range.last, start - 1) });
        // One partition per fetch: a response filled by one partition says nothing about another.
        for (let next = Math.max(range.first, start); next <= range.last; ) {
          const fetched = (
            (
              await fetchRecords(reader, topic, [{ partition: range.partition, offset: next }], FETCH_WAIT_MS)
            ).get(range.partition) ?? []
          ).filter((r) => r.offset >= next && r.offset <= range.last);
          // Nothing more at or below the last offset (a compacted or aborted gap, or the log's end): done.
          if (fetched.length === 0) break;
          records.push(...fetched);
          next = (fetched[fetched.length - 1] as MskRecord).offset + 1;
        }
      }
    }
  } finally {
    await reader.close();
  }
  records.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset);
  return { records, gone };
}
