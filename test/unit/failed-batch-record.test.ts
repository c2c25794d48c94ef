import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFailedBatch } from '../../functions/adapters/sqs/failed-batch-reader';

// The shape Lambda's MSK event source mapping sends to an SQS on-failure destination.
const SAMPLE = readFileSync(new URL('../fixtures/msk-on-failure.sample.json', import.meta.url), 'utf8');

describe('the on-failure record of a skipped MSK batch', () => {
  it('names each partition of the batch with its first and last offset; topics may contain dashes', () => {
    expect(parseFailedBatch(SAMPLE)).toEqual({
      condition: 'RetryAttemptsExhausted',
      failedAt: '2026-11-30T12:00:06.021Z',
      eventSourceArn: expect.stringContaining(':cluster/usage-cluster/'),
      bootstrapServers: expect.stringMatching(/^b-1\..*:9098,b-2\./),
      ranges: [
        { topic: 'usage-events', partition: 3, first: 1042, last: 1049 },
        { topic: 'usage-events', partition: 11, first: 77, last: 80 },
      ],
    });
  });

  it('is not a failed batch when it is not JSON, names no partition, or its offsets run backwards', () => {
    const sample = JSON.parse(SAMPLE);
    const withInfo = (recordsInfo: unknown) =>
      JSON.stringify({ ...sample, KafkaBatchInfo: { ...sample.KafkaBatchInfo, recordsInfo } });
    expect(parseFailedBatch('not json')).toBeNull();
    expect(parseFailedBatch(JSON.stringify({ hello: 'world' }))).toBeNull();
    expect(parseFailedBatch(withInfo({}))).toBeNull();
    expect(
      parseFailedBatch(withInfo({ nopartition: { firstRecordOffset: '1', lastRecordOffset: '2' } })),
    ).toBeNull();
    expect(
      parseFailedBatch(withInfo({ 't-0': { firstRecordOffset: '9', lastRecordOffset: '2' } })),
    ).toBeNull();
    expect(
      parseFailedBatch(withInfo({ 't-0': { firstRecordOffset: '-1', lastRecordOffset: '2' } })),
    ).toBeNull();
  });
});
