import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../services/dynamodb-local';

/**
 * Reads a table's real stream in DynamoDB Local and hands the records over
 * exactly as Lambda's event source mapping would: a DynamoDBStreamEvent with
 * eventSourceARN, sequence numbers and AttributeValue images. Each read
 * returns only the records written since the previous one.
 */
export async function openTableStream(target: {
  endpoint: string;
  client: DynamoDBClient;
  tableName: string;
}) {
  const streams = new DynamoDBStreamsClient({
    endpoint: target.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const { Table } = await target.client.send(new DescribeTableCommand({ TableName: target.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${target.tableName} has no stream`);
  // Last sequence number read per shard. A fresh iterator per read: DynamoDB Local
  // trims iterators taken while a shard was still empty.
  const positions = new Map<string, string | undefined>();

  // The shard list, described again once it is a second old, empty, or for a skip: a poll
  // four times a second would otherwise describe the stream at every read, as Lambda's poller does not.
  let shards: { ids: string[]; at: number } | null = null;
  async function shardIds(fresh = false): Promise<string[]> {
    const usable = shards && shards.ids.length > 0 && performance.now() - shards.at < SHARD_LIST_TTL_MS;
    if (shards && usable && !fresh) return shards.ids;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const ids = (StreamDescription?.Shards ?? []).flatMap((s) => (s.ShardId ? [s.ShardId] : []));
    shards = { ids, at: performance.now() };
    return ids;
  }

  async function readShard(
    shardId: string,
    after: string | undefined,
    keep: (page: StreamRecord[]) => void = () => undefined,
    untilEmpty = false,
  ): Promise<StreamRecord[]> {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    const records: StreamRecord[] = [];
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE_LIMIT }));
      const batch = page.Records ?? [];
      if (batch.length === 0) break;
      const full = batch.length === PAGE_LIMIT;
      keep(batch);
      records.push(...batch);
      // A page short of the limit (or of 1 MB) held all there was, or near enough: the next poll reads on from it.
      iterator = full || untilEmpty ? page.NextShardIterator : undefined;
    }
    return records;
  }

  /**
   * DynamoDB Local now and then answers an iterator with
   * TrimmedDataAccessException under load. Reading the shard from its trim
   * horizon and skipping what was read before hands over every record still
   * there; a shard refused even from its horizon is read at the next poll.
   */
  async function readShardAfter(shardId: string, after: string | undefined): Promise<StreamRecord[]> {
    const trimmed = (error: unknown) => (error as { name?: string }).name === 'TrimmedDataAccessException';
    try {
      return await readShard(shardId, after);
    } catch (error) {
      if (!trimmed(error)) throw error;
    }
    try {
      const all = await readShard(shardId, undefined);
      return after ? all.filter((r) => compareSequence(r.dynamodb?.SequenceNumber, after) > 0) : all;
    } catch (error) {
      if (trimmed(error)) return [];
      throw error;
    }
  }

  async function readNew(): Promise<DynamoDBStreamEvent> {
    const records: StreamRecord[] = [];
    const read = new Map<string, string | undefined>();
    for (const shardId of await shardIds()) {
      const batch = await readShardAfter(shardId, positions.get(shardId));
      if (batch.length === 0) continue;
      records.push(...batch);
      read.set(shardId, batch[batch.length - 1]?.dynamodb?.SequenceNumber);
    }
    // Positions move only once every shard was read: a failed read hands over nothing and skips nothing.
    for (const [shardId, sequence] of read) positions.set(shardId, sequence);
    records.sort((a, b) => compareSequence(a.dynamodb?.SequenceNumber, b.dynamodb?.SequenceNumber));
    return { Records: records.map((r) => asLambdaRecord(r, streamArn as string)) };
  }

  /**
   * Moves past everything written so far without handing it over, a page at
   * a time: a reader that starts now, as a mapping at LATEST does.
   */
  async function skipWritten(): Promise<number> {
    let skipped = 0;
    for (const shardId of await shardIds(true)) {
      let last = positions.get(shardId);
      await readShard(
        shardId,
        last,
        (page) => {
          skipped += page.length;
          last = page[page.length - 1]?.dynamodb?.SequenceNumber ?? last;
          page.length = 0;
        },
        true,
      );
      positions.set(shardId, last);
    }
    return skipped;
  }

  return { streamArn, readNew, skipWritten, close: () => streams.destroy() };
}

export type TableStream = Awaited<ReturnType<typeof openTableStream>>;

/** GetRecords' most records a call, on AWS and in DynamoDB Local. */
const PAGE_LIMIT = 1000;
const SHARD_LIST_TTL_MS = 1_000;

function compareSequence(a: string | undefined, b: string | undefined): number {
  const x = BigInt(a ?? '0');
  const y = BigInt(b ?? '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

function asLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d.ApproximateCreationDateTime
        ? Math.floor(d.ApproximateCreationDateTime.getTime() / 1000)
        : undefined,
      // The SDK and the Lambda event types describe the same AttributeValue JSON.
      Keys: d.Keys as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      NewImage: d.NewImage as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
      OldImage: d.OldImage as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'],
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
  };
}
