import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64Utf8,
  decodeMskEvent,
  type MskEvent,
  type MskRecord,
} from '../../functions/core/kafka-record';

// The AWS-shaped sample MSK event, kept in the repository so tests need nothing beside it.
const FIXTURE_URL = new URL('../fixtures/msk-event.sample.json', import.meta.url);
const loadFixture = (): MskEvent => JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as MskEvent;

const rawRecord = (overrides: Partial<MskRecord>): MskRecord => ({
  topic: 'usage-events',
  partition: 0,
  offset: 0,
  timestamp: 0,
  timestampType: 'CREATE_TIME',
  key: null,
  value: null,
  headers: [],
  ...overrides,
});

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('decodeMskEvent with the MSK sample event', () => {
  it('groups records by "<topic>-<partition>" exactly as delivered', () => {
    // Arrange
    const event = loadFixture();

    // Act
    const batches = decodeMskEvent(event);

    // Assert
    expect(batches.map((b) => b.partitionKey)).toEqual(['usage-events-0', 'usage-events-3']);
    for (const batch of batches) {
      for (const record of batch.records) expect(record.partitionKey).toBe(batch.partitionKey);
    }
  });

  it('keeps delivery (offset) order within each partition', () => {
    const batches = decodeMskEvent(loadFixture());

    expect(batches.map((b) => b.records.map((r) => r.offset))).toEqual([
      [1041, 1042],
      [88, 89],
    ]);
  });

  it('decodes base64 keys to the familyId string and keeps a null key null', () => {
    const [p0, p3] = decodeMskEvent(loadFixture());

    expect(p0?.records.map((r) => r.key)).toEqual(['101', '101']);
    expect(p3?.records.map((r) => r.key)).toEqual(['207', null]);
  });

  it('decodes the traceparent header bytes to its string', () => {
    const [p0] = decodeMskEvent(loadFixture());

    expect(p0?.records[0]?.headers).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
  });

  it('decodes signed (Java) header bytes as UTF-8, so a Korean header value survives', () => {
    const [p0] = decodeMskEvent(loadFixture());

    expect(p0?.records[1]?.headers).toEqual({ source: '게이트웨이-7' });
  });

  it('gives an empty header map for a record without headers', () => {
    const [, p3] = decodeMskEvent(loadFixture());

    expect(p3?.records[0]?.headers).toEqual({});
  });

  it('keeps the original record untouched for the dead-letter queue', () => {
    const event = loadFixture();
    const original = event.records['usage-events-3']?.[1];

    const [, p3] = decodeMskEvent(event);

    expect(p3?.records[1]?.raw).toBe(original);
    expect(p3?.records[1]?.raw.value).toBe('e25vdCBqc29u');
  });
});

describe('decodeMskEvent edge cases', () => {
  it('returns no batches for an event without records', () => {
    expect(decodeMskEvent({ eventSource: 'aws:kafka', records: {} })).toEqual([]);
  });

  it('decodes several headers of one record into one map', () => {
    const raw = rawRecord({ headers: [{ a: [104, 105] }, { b: [-61, -87] }] });

    const [batch] = decodeMskEvent({ eventSource: 'aws:kafka', records: { 'usage-events-0': [raw] } });

    expect(batch?.records[0]?.headers).toEqual({ a: 'hi', b: 'é' });
  });

  it('treats a key that is not valid base64 as absent instead of failing the batch', () => {
    const raw = rawRecord({ key: '@@@' });

    const [batch] = decodeMskEvent({ eventSource: 'aws:kafka', records: { 'usage-events-0': [raw] } });

    expect(batch?.records[0]?.key).toBeNull();
  });
});

describe('decodeBase64Utf8', () => {
  it('decodes the fixture key "MTAx" to "101"', () => {
    expect(decodeBase64Utf8('MTAx')).toEqual({ ok: true, text: '101' });
  });

  it('decodes padded base64 and multi-byte UTF-8', () => {
    expect(decodeBase64Utf8(b64('가족 요금제'))).toEqual({ ok: true, text: '가족 요금제' });
    expect(decodeBase64Utf8(b64('ab'))).toEqual({ ok: true, text: 'ab' });
  });

  it('decodes the empty string to the empty text', () => {
    expect(decodeBase64Utf8('')).toEqual({ ok: true, text: '' });
  });

  it.each([
    ['characters outside the alphabet', 'MT@x'],
    ['a length that is not a multiple of 4', 'MTA'],
    ['padding in the middle', 'MQ==MTAx'],
    ['url-safe alphabet', 'a-_b'],
    ['whitespace', 'MTAx '],
  ])('rejects invalid base64 (%s) instead of skipping characters like Buffer does', (_case, value) => {
    expect(decodeBase64Utf8(value)).toEqual({ ok: false, problem: 'value is not valid base64' });
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['a truncated multi-byte sequence', [0xea, 0xb2]],
    ['bytes never valid in UTF-8', [0xff, 0xfe]],
  ])('rejects bytes that are not valid UTF-8 (%s)', (_case, bytes) => {
    const value = Buffer.from(bytes).toString('base64');

    expect(decodeBase64Utf8(value)).toEqual({ ok: false, problem: 'value is not valid UTF-8' });
  });
});
