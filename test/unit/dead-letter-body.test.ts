import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deadLetterBody } from '../../functions/adapters/sqs/dead-letter-queue';
import type { DeadLetter } from '../../functions/core/ports';

const letter = (value: string, eventId: string | null = 'e-1'): DeadLetter => ({
  reason: 'MALFORMED_JSON',
  message: 'value is not JSON',
  partitionKey: 'usage-events-0',
  eventId,
  rejectedAt: '2026-11-21T00:00:00.000Z',
  record: {
    topic: 'usage-events',
    partition: 0,
    offset: 7,
    timestamp: 1,
    timestampType: 'CREATE_TIME',
    key: null,
    value,
    headers: [],
  },
});

describe('dead-letter message body', () => {
  it('is ASCII JSON that decodes to the letter, whatever characters the event carried', () => {
    const original = letter('e30=', 'id-\uFFFE-\uFFFF-한글-😀');

    const body = deadLetterBody(original);

    expect(/^[\x20-\x7e]*$/.test(body)).toBe(true);
    expect(JSON.parse(body)).toEqual(original);
  });

  it('keeps a record too large for SQS as its start, its length and its SHA-256', () => {
    const value = 'A'.repeat(800_000);

    const body = deadLetterBody(letter(value));

    expect(body.length).toBeLessThanOrEqual(256 * 1024);
    const parsed = JSON.parse(body) as {
      record: { value: string; valueTruncated: { length: number; sha256: string } };
    };
    expect(value.startsWith(parsed.record.value)).toBe(true);
    expect(parsed.record.valueTruncated).toEqual({
      length: 800_000,
      sha256: createHash('sha256').update(value).digest('hex'),
    });
  });
});
