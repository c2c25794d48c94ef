import { type Consumer, IS_CONTROL, type RecordsBatch } from '@platformatic/kafka';
import type { MskRecord } from '../../core/kafka-record';
import { toMskRecord } from './msk-event';

/** Bit 3 of a record batch's attributes: the broker, not the producer, set the timestamps. */
const LOG_APPEND_TIME = 0x08;
const MAX_BYTES = 8 * 1024 * 1024;

export interface FetchPosition {
  readonly partition: number;
  readonly offset: number;
}

function decodeBatch(topic: string, partition: number, from: number, batch: RecordsBatch): MskRecord[] {
  if (batch.attributes & IS_CONTROL) return [];
  const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
  const records: MskRecord[] = [];
  for (const record of batch.records) {
    const offset = Number(batch.firstOffset + BigInt(record.offsetDelta));
    // A fetch answers with whole batches: records before the requested offset were already delivered.
    if (offset < from) continue;
    records.push(
      toMskRecord({
        topic,
        partition,
        offset,
        timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta),
        timestampType: logAppendTime ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
        key: record.key,
        value: record.value,
        headers: record.headers.map(([name, value]) => [
          name?.toString('utf8') ?? '',
          value ?? Buffer.alloc(0),
        ]),
      }),
    );
  }
  return records;
}

/**
 * One Fetch request per partition leader: the records at or after each
 * position, decoded to MSK's shape. The broker answers as soon as it has
 * any record, or after `waitMs`.
 */
export async function fetchRecords(
  reader: Consumer,
  topic: string,
  positions: ReadonlyArray<FetchPosition>,
  waitMs: number,
): Promise<Map<number, MskRecord[]>> {
  const fetched = new Map<number, MskRecord[]>();
  if (positions.length === 0) return fetched;
  const metadata = (await reader.metadata({ topics: [topic] })).topics.get(topic);
  if (!metadata) throw new Error(`topic ${topic} does not exist`);
  const byLeader = new Map<number, FetchPosition[]>();
  for (const position of positions) {
    const leader = metadata.partitions[position.partition]?.leader;
    if (leader === undefined) throw new Error(`${topic} has no partition ${position.partition}`);
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), position]);
  }
  const from = new Map(positions.map((p) => [p.partition, p.offset]));
  await Promise.all(
    [...byLeader].map(async ([leader, partitions]) => {
      const response = await reader.fetch({
        node: leader,
        maxWaitTime: waitMs,
        minBytes: 1,
        maxBytes: MAX_BYTES,
        topics: [
          {
            topicId: metadata.id,
            partitions: partitions.map(({ partition, offset }) => ({
              partition,
              fetchOffset: BigInt(offset),
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: MAX_BYTES,
            })),
          },
        ],
      });
      for (const topicResponse of response.responses) {
        for (const { partitionIndex, records } of topicResponse.partitions) {
          const decoded = (records ?? []).flatMap((batch) =>
            decodeBatch(topic, partitionIndex, from.get(partitionIndex) ?? 0, batch),
          );
          if (decoded.length > 0) fetched.set(partitionIndex, decoded);
        }
      }
    }),
  );
  return fetched;
}
