import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeAppId } from '../../functions/core/app-id';
import { decodeMskEvent, type KafkaRecord, type MskEvent } from '../../functions/core/kafka-record';
import type { Rejection } from '../../functions/core/rejection';
import {
  isCorrection,
  payloadHash,
  type UsageEvent,
  type Validated,
  type ValidationContext,
  validateRecord,
} from '../../functions/core/settlement/usage-event';

const FIXTURE_URL = new URL('../fixtures/msk-event.sample.json', import.meta.url);

// "Now" for every test: 2026-03-17 12:00 in Seoul, so the accepted window is
// [2026-02-01T00:00+09:00, now + skew].
const NOW_MS = Date.parse('2026-03-17T12:00:00+09:00');
const SKEW_MS = 300_000;
const ctx: ValidationContext = {
  timeZone: 'Asia/Seoul',
  nowMs: NOW_MS,
  futureSkewMs: SKEW_MS,
  maxBytesPerEvent: 10 * 1024 ** 3,
};

type Json = Record<string, unknown>;

function usageEvent(top: Json = {}, payload: Json = {}): Json {
  return {
    eventId: 'evt-1',
    eventType: 'DATA_USAGE',
    subType: 'CELLULAR',
    timestamp: '2026-03-17T10:00:00+09:00',
    ...top,
    payload: {
      familyId: 101,
      customerId: 1001,
      appId: 'com.youtube.app',
      bytesUsed: 1024,
      metadata: { deviceId: 'dev-1001', networkType: '5G' },
      ...payload,
    },
  };
}

const without = (obj: Json, key: string): Json =>
  Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));

function recordWithValue(value: string | null): KafkaRecord {
  const [batch] = decodeMskEvent({
    eventSource: 'aws:kafka',
    records: {
      'usage-events-0': [
        {
          topic: 'usage-events',
          partition: 0,
          offset: 7,
          timestamp: 0,
          timestampType: 'CREATE_TIME',
          key: 'MTAx',
          value,
          headers: [],
        },
      ],
    },
  });
  const record = batch?.records[0];
  if (!record) throw new Error('test setup: no record decoded');
  return record;
}

const textRecord = (text: string) => recordWithValue(Buffer.from(text, 'utf8').toString('base64'));
const jsonRecord = (body: unknown) => textRecord(JSON.stringify(body));

function rejectionOf(result: Validated): Rejection {
  if (result.kind !== 'reject') throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result.rejection;
}

function eventOf(result: Validated): UsageEvent {
  if (result.kind !== 'event' || isCorrection(result.event)) {
    throw new Error(`expected a usage event, got ${JSON.stringify(result)}`);
  }
  return result.event;
}

const validate = (body: unknown, context: ValidationContext = ctx) =>
  validateRecord(jsonRecord(body), context);

describe('validateRecord: a valid DATA_USAGE event', () => {
  it('derives event time, period, local HHmm and normalised appId', () => {
    // Arrange
    const body = usageEvent({}, { appId: '  Com.YouTube.App ' });

    // Act
    const event = eventOf(validate(body));

    // Assert
    expect(event).toMatchObject({
      eventId: 'evt-1',
      familyId: 101,
      customerId: 1001,
      appId: 'com.youtube.app',
      bytesUsed: 1024,
      eventTimeMs: Date.parse('2026-03-17T01:00:00Z'),
      period: '202603',
      localHhmm: '1000',
    });
    expect(event.payloadHash).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ignores unknown fields at the top level and in the payload', () => {
    const plain = eventOf(validate(usageEvent()));

    const withExtras = eventOf(
      validate(usageEvent({ producer: 'pgw-7', version: 3 }, { roaming: true, cellId: 'x' })),
    );

    expect(withExtras).toEqual(plain);
  });

  it('accepts an eventId of exactly 128 characters', () => {
    const eventId = 'e'.repeat(128);

    expect(eventOf(validate(usageEvent({ eventId }))).eventId).toBe(eventId);
  });

  it('accepts bytesUsed equal to the configured maximum', () => {
    const result = validate(usageEvent({}, { bytesUsed: 1000 }), { ...ctx, maxBytesPerEvent: 1000 });

    expect(eventOf(result).bytesUsed).toBe(1000);
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['blank', '   '],
    ['empty', ''],
  ])('maps an %s appId to null', (_case, appId) => {
    expect(eventOf(validate(usageEvent({}, { appId }))).appId).toBeNull();
  });
});

describe('validateRecord: MALFORMED_JSON', () => {
  it.each([
    ['a null value', null],
    ['a value that is not base64', 'not base64!'],
    ['base64 of bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64')],
    ['text that is not JSON (the fixture\'s "{not json")', 'e25vdCBqc29u'],
  ])('rejects %s', (_case, value) => {
    const rejection = rejectionOf(validateRecord(recordWithValue(value), ctx));

    expect(rejection.reason).toBe('MALFORMED_JSON');
    expect(rejection.message).not.toBe('');
  });

  it.each([
    ['an array', '[{"eventId":"evt-1"}]'],
    ['a number', '42'],
    ['a string', '"DATA_USAGE"'],
    ['null', 'null'],
    ['a boolean', 'true'],
  ])('rejects JSON that is not an object: %s', (_case, text) => {
    expect(rejectionOf(validateRecord(textRecord(text), ctx)).reason).toBe('MALFORMED_JSON');
  });
});

describe('validateRecord: SCHEMA_VIOLATION', () => {
  it.each<[string, Json, string]>([
    ['missing eventId', without(usageEvent(), 'eventId'), 'eventId'],
    ['empty eventId', usageEvent({ eventId: '' }), 'eventId'],
    ['blank eventId', usageEvent({ eventId: '   ' }), 'eventId'],
    ['null eventId (never a shared dedup key)', usageEvent({ eventId: null }), 'eventId'],
    ['numeric eventId', usageEvent({ eventId: 42 }), 'eventId'],
    ['eventId of 129 characters', usageEvent({ eventId: 'e'.repeat(129) }), 'eventId'],
    ['missing timestamp (rejected, never a crash)', without(usageEvent(), 'timestamp'), 'timestamp'],
    ['null timestamp', usageEvent({ timestamp: null }), 'timestamp'],
    ['epoch-millisecond timestamp', usageEvent({ timestamp: NOW_MS }), 'timestamp'],
    ['non-ISO timestamp', usageEvent({ timestamp: '17/03/2026 10:00' }), 'timestamp'],
    ['date-only timestamp', usageEvent({ timestamp: '2026-03-17' }), 'timestamp'],
    ['impossible date 2026-02-30', usageEvent({ timestamp: '2026-02-30T10:00:00+09:00' }), 'timestamp'],
    ['familyId as string "101"', usageEvent({}, { familyId: '101' }), 'payload.familyId'],
    ['familyId 0', usageEvent({}, { familyId: 0 }), 'payload.familyId'],
    ['negative familyId', usageEvent({}, { familyId: -101 }), 'payload.familyId'],
    ['non-integer familyId 1.5', usageEvent({}, { familyId: 1.5 }), 'payload.familyId'],
    ['familyId above MAX_SAFE_INTEGER', usageEvent({}, { familyId: 2 ** 53 }), 'payload.familyId'],
    ['missing customerId', usageEvent({}, { customerId: undefined }), 'payload.customerId'],
    ['customerId 0', usageEvent({}, { customerId: 0 }), 'payload.customerId'],
    ['bytesUsed 0', usageEvent({}, { bytesUsed: 0 }), 'payload.bytesUsed'],
    ['negative bytesUsed', usageEvent({}, { bytesUsed: -1 }), 'payload.bytesUsed'],
    ['bytesUsed as string', usageEvent({}, { bytesUsed: '1024' }), 'payload.bytesUsed'],
    ['non-integer bytesUsed', usageEvent({}, { bytesUsed: 10.5 }), 'payload.bytesUsed'],
    ['numeric appId', usageEvent({}, { appId: 7 }), 'payload.appId'],
    ['missing payload', without(usageEvent(), 'payload'), 'payload'],
    ['missing eventType', without(usageEvent(), 'eventType'), 'eventType'],
    ['null eventType', usageEvent({ eventType: null }), 'eventType'],
  ])('rejects %s and names the field', (_case, body, field) => {
    // Act
    const rejection = rejectionOf(validate(body));

    // Assert
    expect(rejection.reason).toBe('SCHEMA_VIOLATION');
    expect(rejection.message).toContain(field);
  });

  it('rejects bytesUsed above the configured maximum', () => {
    const result = validate(usageEvent({}, { bytesUsed: 1001 }), { ...ctx, maxBytesPerEvent: 1000 });

    const rejection = rejectionOf(result);
    expect(rejection.reason).toBe('SCHEMA_VIOLATION');
    expect(rejection.message).toContain('payload.bytesUsed');
  });
});

describe('validateRecord: OUT_OF_WINDOW (from the start of the previous period to now + skew)', () => {
  it.each([
    ['exactly at the start of the previous period', '2026-02-01T00:00:00+09:00'],
    ['at the start of the previous period, zoneless in Seoul', '2026-02-01T00:00:00'],
    ['exactly now', '2026-03-17T12:00:00+09:00'],
    ['exactly now + skew', '2026-03-17T12:05:00+09:00'],
  ])('accepts an event %s', (_case, timestamp) => {
    expect(validate(usageEvent({ timestamp })).kind).toBe('event');
  });

  it.each([
    ['1 ms before the start of the previous period', '2026-01-31T23:59:59.999+09:00'],
    ['in a period that closed long ago', '2025-12-17T10:00:00+09:00'],
    ['1 ms after now + skew', '2026-03-17T12:05:00.001+09:00'],
    ['next month', '2026-04-01T00:00:00+09:00'],
  ])('rejects an event %s', (_case, timestamp) => {
    expect(rejectionOf(validate(usageEvent({ timestamp }))).reason).toBe('OUT_OF_WINDOW');
  });
});

describe('validateRecord: the window is measured from when the record was written', () => {
  const written = Date.parse('2026-03-31T23:59:00+09:00');
  const february = usageEvent({ timestamp: '2026-02-10T10:00:00+09:00' });
  const writtenAt = (timestamp: number) => ({
    ...jsonRecord(february),
    raw: { ...jsonRecord(february).raw, timestamp },
  });

  it('accepts on a redelivery in April what it accepted when the record was written in March', () => {
    const april = { ...ctx, nowMs: Date.parse('2026-04-01T00:10:00+09:00') };

    expect(validateRecord(writtenAt(written), { ...ctx, nowMs: written }).kind).toBe('event');
    expect(validateRecord(writtenAt(written), april).kind).toBe('event');
  });

  it('measures from now when the record timestamp is missing, implausibly old, or ahead of the clock', () => {
    const april = { ...ctx, nowMs: Date.parse('2026-04-01T00:10:00+09:00') };
    for (const timestamp of [0, -1, Date.parse('2025-01-01T00:00:00Z'), april.nowMs + 3_600_000]) {
      expect(rejectionOf(validateRecord(writtenAt(timestamp), april)).reason).toBe('OUT_OF_WINDOW');
    }
  });
});

describe('validateRecord: other event types', () => {
  it('skips a VOICE_USAGE event instead of rejecting it', () => {
    expect(validate(usageEvent({ eventType: 'VOICE_USAGE' }))).toEqual({
      kind: 'skip',
      eventType: 'VOICE_USAGE',
    });
  });

  it('skips another event type even when its body does not follow the DATA_USAGE schema', () => {
    expect(validate({ eventType: 'SMS_USAGE', eventId: 'sms-1' })).toEqual({
      kind: 'skip',
      eventType: 'SMS_USAGE',
    });
  });
});

describe('normalizeAppId', () => {
  it.each([
    ['  Com.Instagram.Android  ', 'com.instagram.android'],
    ['COM.YOUTUBE.APP', 'com.youtube.app'],
    ['\tcom.x\n', 'com.x'],
    ['com.youtube.app', 'com.youtube.app'],
    ['', null],
    ['   ', null],
    [null, null],
    [undefined, null],
  ])('normalises %j to %j', (input, expected) => {
    expect(normalizeAppId(input)).toBe(expected);
  });
});

describe('payload hash', () => {
  const hashOf = (body: Json) => eventOf(validate(body)).payloadHash;

  it('is equal for a redelivery whose metadata and subType differ', () => {
    const first = hashOf(
      usageEvent({ subType: 'CELLULAR' }, { metadata: { deviceId: 'dev-1', networkType: '5G' } }),
    );

    const redelivered = hashOf(
      usageEvent({ subType: 'WIFI' }, { metadata: { deviceId: 'dev-2', networkType: 'LTE' } }),
    );

    expect(redelivered).toBe(first);
  });

  it('is equal when appId differs only in case or surrounding spaces', () => {
    expect(hashOf(usageEvent({}, { appId: ' COM.YouTube.App ' }))).toBe(hashOf(usageEvent()));
  });

  it('is equal for the same instant written with Z, +09:00 or zoneless Seoul time', () => {
    const zulu = hashOf(usageEvent({ timestamp: '2026-03-17T01:00:00Z' }));

    expect(hashOf(usageEvent({ timestamp: '2026-03-17T10:00:00+09:00' }))).toBe(zulu);
    expect(hashOf(usageEvent({ timestamp: '2026-03-17T10:00:00.000' }))).toBe(zulu);
  });

  it.each<[string, Json, Json]>([
    ['bytesUsed', {}, { bytesUsed: 1025 }],
    ['the timestamp instant (1 ms)', { timestamp: '2026-03-17T10:00:00.001+09:00' }, {}],
    ['customerId', {}, { customerId: 1002 }],
    ['familyId', {}, { familyId: 102 }],
    ['appId', {}, { appId: 'com.netflix' }],
    ['eventId', { eventId: 'evt-2' }, {}],
  ])('differs when %s differs', (_case, top, payload) => {
    expect(hashOf(usageEvent(top, payload))).not.toBe(hashOf(usageEvent()));
  });

  it('distinguishes an absent appId from the string "null"', () => {
    const fields = { eventId: 'e', eventTimeMs: 0, familyId: 1, customerId: 2, bytesUsed: 3 };

    expect(payloadHash({ ...fields, appId: null })).not.toBe(payloadHash({ ...fields, appId: 'null' }));
  });
});

describe('validateRecord with the MSK sample event (now = 2026-03-17 12:00 Seoul)', () => {
  const fixture = JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as MskEvent;
  const byOffset = new Map(
    decodeMskEvent(fixture)
      .flatMap((b) => b.records)
      .map((r) => [r.offset, validateRecord(r, ctx)] as const),
  );
  const resultAt = (offset: number): Validated => {
    const result = byOffset.get(offset);
    if (!result) throw new Error(`fixture has no record at offset ${offset}`);
    return result;
  };

  it('1041: a zoneless timestamp is wall-clock time in Asia/Seoul', () => {
    expect(eventOf(resultAt(1041))).toMatchObject({
      eventId: '7f3e2a90-1b2c-4d5e-8f90-a1b2c3d4e5f6',
      familyId: 101,
      customerId: 1001,
      appId: 'com.youtube.app',
      bytesUsed: 52_428_800,
      eventTimeMs: Date.parse('2026-03-17T01:00:00Z'),
      period: '202603',
      localHhmm: '1000',
    });
  });

  it('1042: a Z timestamp is used as is and the mixed-case appId is normalised', () => {
    expect(eventOf(resultAt(1042))).toMatchObject({
      eventId: '0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f',
      customerId: 1002,
      appId: 'com.instagram.android',
      bytesUsed: 1_048_576,
      eventTimeMs: Date.parse('2026-03-17T01:00:01Z'),
      period: '202603',
      localHhmm: '1000',
    });
  });

  it('88: a +09:00 timestamp is used as is and a null appId stays null', () => {
    expect(eventOf(resultAt(88))).toMatchObject({
      eventId: 'b2a1c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      familyId: 207,
      customerId: 2001,
      appId: null,
      bytesUsed: 734_003,
      eventTimeMs: Date.parse('2026-03-17T01:00:02Z'),
      period: '202603',
      localHhmm: '1000',
    });
  });

  it('89: a value that is not JSON is rejected as MALFORMED_JSON', () => {
    expect(rejectionOf(resultAt(89)).reason).toBe('MALFORMED_JSON');
  });
});
