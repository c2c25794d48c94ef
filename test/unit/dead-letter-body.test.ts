import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deadLetterBody } from '../../functions/adapters/sqs/dead-letter-queue';
import type { DeadLetter } from '../../functions/core/ports';

const SQS_LIMIT = 256 * 1024;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const letter = (
  value: string,
  extra: { eventId?: string | null; key?: string | null; headers?: DeadLetter['record']['headers'] } = {},
): DeadLetter => ({
  letterId: 'letter-1',
  reason: 'MALFORMED_JSON',
  message: 'value is not JSON',
  partitionKey: 'usage-events-0',
  eventId: extra.eventId === undefined ? 'e-1' : extra.eventId,
  rejectedAt: '2026-11-21T00:00:00.000Z',
  record: {
    topic: 'usage-events',
    partition: 0,
    offset: 7,
    timestamp: 1,
    timestampType: 'CREATE_TIME',
    key: extra.key ?? null,
    value,
    headers: extra.headers ?? [],
  },
});

interface Body {
  record: {
    key: string | null;
    value: string;
    headers: Array<Record<string, number[]>>;
    truncated: Record<string, { length: number; sha256: string }>;
  };
}

describe('dead-letter message body', () => {
  it('is ASCII JSON that decodes to the letter, whatever characters the event carried', () => {
    const original = letter('e30=', { eventId: 'id-\uFFFE-\uFFFF-한글-😀' });

    const body = deadLetterBody(original);

    expect(/^[\x20-\x7e]*$/.test(body)).toBe(true);
    expect(JSON.parse(body)).toEqual(original);
  });

  it('keeps a value too large for SQS as its start, its length and its SHA-256', () => {
    const value = 'A'.repeat(800_000);

    const body = deadLetterBody(letter(value));

    expect(body.length).toBeLessThanOrEqual(SQS_LIMIT);
    const parsed = JSON.parse(body) as Body;
    expect(value.startsWith(parsed.record.value)).toBe(true);
    expect(parsed.record.value.length).toBeGreaterThan(200_000);
    expect(parsed.record.truncated).toEqual({ value: { length: 800_000, sha256: sha256(value) } });
  });

  it('fits a record whose headers alone exceed the limit, keeping the header names', () => {
    const bytes = Array.from({ length: 80_000 }, (_, i) => (i % 256) - 128);
    const headers: Array<Record<string, number[]>> = [{ trace: bytes }, { tenant: [65, 66] }];

    const body = deadLetterBody(letter('e30=', { headers }));

    expect(body.length).toBeLessThanOrEqual(SQS_LIMIT);
    const parsed = JSON.parse(body) as Body;
    expect(parsed.record.headers).toEqual([{ trace: [] }, { tenant: [] }]);
    expect(parsed.record.truncated.headers?.sha256).toBe(sha256(JSON.stringify(headers)));
    expect(parsed.record.value).toBe('e30=');
  });

  it('fits a record whose key alone exceeds the limit, keeping its start', () => {
    const key = 'k'.repeat(400_000);

    const body = deadLetterBody(letter('e30=', { key }));

    expect(body.length).toBeLessThanOrEqual(SQS_LIMIT);
    const parsed = JSON.parse(body) as Body;
    expect(key.startsWith(parsed.record.key ?? 'x')).toBe(true);
    expect(parsed.record.truncated.key).toEqual({ length: 400_000, sha256: sha256(key) });
  });

  it('fits a record whose key, headers and value are all oversized', () => {
    const headers = Array.from({ length: 5_000 }, (_, i) => ({ [`h${i}`]: [1, 2, 3] }));

    const body = deadLetterBody(letter('V'.repeat(300_000), { key: 'k'.repeat(300_000), headers }));

    expect(body.length).toBeLessThanOrEqual(SQS_LIMIT);
    expect(Object.keys((JSON.parse(body) as Body).record.truncated).sort()).toEqual([
      'headers',
      'key',
      'value',
    ]);
  });
});
