import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  aggregate,
  FirehoseArchiveSink,
  MAX_RECORD_BYTES,
} from '../../functions/adapters/firehose/archive-sink';
import type { ArchiveLine } from '../../functions/core/archive/archive';

const line = (n: number): ArchiveLine => ({
  eventId: `evt-${n}`,
  kind: 'SETTLEMENT',
  correctedBytes: null,
  correctsEventId: null,
  familyId: 100 + (n % 7),
  customerId: 1_000 + n,
  period: '202612',
  bytesUsed: 1_000 + n,
  appId: null,
  eventTime: '2026-12-05T01:00:00.000Z',
  decision: 'NORMAL',
  counted: true,
  notify: false,
  reason: null,
  alertMarkers: [],
  payloadHash: 'x'.repeat(64),
  decidedAtVersion: n,
  decidedFrom: 'redis',
  kafkaTopic: 'usage-events',
  kafkaPartition: 0,
  kafkaOffset: n,
  recordedAt: 1_796_000_000_000 + n,
  notificationId: null,
});

const lines = (count: number) => Array.from({ length: count }, (_, i) => line(i));
const decode = (data: Uint8Array) =>
  Buffer.from(data)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as ArchiveLine).eventId);

describe('archive lines into Firehose records', () => {
  it('packs many newline-delimited lines into each record, under the record limit, each line once and in order', () => {
    const input = lines(5_000);
    const records = aggregate(input);

    expect(records.length).toBeGreaterThan(1);
    expect(records.length).toBeLessThan(10);
    for (const r of records) expect(r.data.length).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    expect(records.flatMap((r) => decode(r.data))).toEqual(input.map((l) => l.eventId));
    expect(records.flatMap((r) => r.lines)).toEqual(input.map((_, i) => i));
  });
});

describe('FirehoseArchiveSink (SDK mocked at the edge)', () => {
  const firehose = mockClient(FirehoseClient);
  const sink = new FirehoseArchiveSink(new FirehoseClient({ region: 'ap-northeast-2' }), 'archive', {
    maxAttempts: 3,
    baseDelayMs: 1,
  });

  beforeEach(() => firehose.reset());

  it('sends what Firehose refused again, and accepts once it takes it', async () => {
    let call = 0;
    firehose.on(PutRecordBatchCommand).callsFake(({ Records }) => {
      call++;
      // The first call refuses its first record.
      return {
        FailedPutCount: call === 1 ? 1 : 0,
        RequestResponses: Records.map((_: unknown, i: number) =>
          call === 1 && i === 0 ? { ErrorCode: 'ServiceUnavailableException' } : { RecordId: `r-${i}` },
        ),
      };
    });

    expect(await sink.put(lines(4_000))).toEqual([]);
    const sent = firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input);
    expect(sent[0]?.DeliveryStreamName).toBe('archive');
    expect(sent[1]?.Records).toHaveLength(1);
  });

  it('answers the lines of every record still refused after its attempts, and of a call that failed', async () => {
    firehose.on(PutRecordBatchCommand).rejects(new Error('network down'));

    const input = lines(10);
    expect(await sink.put(input)).toEqual(input.map((_, i) => i));
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });
});
