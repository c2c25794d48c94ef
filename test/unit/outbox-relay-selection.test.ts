import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { outboxChanges } from '../../functions/adapters/dynamodb/outbox-stream';
import { InvariantError } from '../../functions/core/errors';
import type { DeliveryDeps } from '../../functions/core/outbox/delivery';
import { newOutboxItem, OUTBOX_STATUS } from '../../functions/core/outbox/item';
import type { OutboxStore } from '../../functions/core/outbox/ports';
import { becamePending, type OutboxChange, relay } from '../../functions/core/outbox/relay';

const change = (
  eventName: OutboxChange['eventName'],
  oldStatus: string | undefined,
  newStatus: string | undefined,
): OutboxChange => ({
  sequenceNumber: '1',
  eventName,
  oldStatus,
  newStatus,
  item: () => {
    throw new Error('an ignored change must not be decoded');
  },
});

const { pending, sent, failed } = OUTBOX_STATUS;

describe('which outbox stream records the relay acts on', () => {
  it('acts on new pending items and on changes into PUBLISH_PENDING only', () => {
    expect(becamePending(change('INSERT', undefined, pending))).toBe(true);
    expect(becamePending(change('MODIFY', failed, pending))).toBe(true);
    expect(becamePending(change('MODIFY', pending, pending))).toBe(false);
    expect(becamePending(change('MODIFY', pending, sent))).toBe(false);
    expect(becamePending(change('MODIFY', pending, failed))).toBe(false);
    expect(becamePending(change('REMOVE', sent, undefined))).toBe(false);
  });

  it('ignores everything else without decoding it or touching the outbox', async () => {
    const untouchable = new Proxy({} as OutboxStore, {
      get: () => () => Promise.reject(new Error('the relay must not call the store for ignored records')),
    });
    const deps = { store: untouchable, log: { warn() {}, error() {} } } as unknown as DeliveryDeps;

    const result = await relay([change('MODIFY', pending, pending), change('MODIFY', pending, sent)], deps);

    expect(result.failedSequenceNumbers).toEqual([]);
    expect(result.report).toMatchObject({ received: 2, ignored: 2, published: 0 });
  });
});

describe('outbox stream records as the Lambda event delivers them', () => {
  const item = newOutboxItem(
    {
      familyId: 1,
      customerId: 2,
      type: 'CUSTOMER_BLOCKED',
      data: {
        originEventId: 'e',
        eventTime: '2025-01-15T03:00:00.000Z',
        period: '202501',
        status: 'MANUAL',
        reason: 'MANUAL',
        bytesUsed: 5,
      },
    },
    1_750_000_000_000,
    120_000,
  );
  const image = {
    notificationId: { S: item.notificationId },
    familyId: { N: '1' },
    customerId: { N: '2' },
    type: { S: item.type },
    status: { S: pending },
    attempts: { N: '0' },
    nextAttemptAt: { N: String(item.nextAttemptAt) },
    createdAt: { N: String(item.createdAt) },
    data: {
      M: {
        originEventId: { S: 'e' },
        eventTime: { S: '2025-01-15T03:00:00.000Z' },
        period: { S: '202501' },
        status: { S: 'MANUAL' },
        reason: { S: 'MANUAL' },
        bytesUsed: { N: '5' },
      },
    },
  };
  const record = (newImage: Record<string, unknown> | undefined, sequenceNumber = '42'): DynamoDBRecord =>
    ({
      eventName: 'INSERT',
      eventSourceARN: 'arn:aws:dynamodb:ap-northeast-2:123456789012:table/outbox/stream/x',
      dynamodb: { SequenceNumber: sequenceNumber, NewImage: newImage },
    }) as DynamoDBRecord;

  it('decodes the new image into the outbox item', () => {
    const [c] = outboxChanges([record(image)]);
    expect(c).toMatchObject({ sequenceNumber: '42', eventName: 'INSERT', newStatus: pending });
    expect(c?.item()).toEqual(item);
  });

  it('refuses a malformed image loudly instead of publishing half of it', () => {
    const [c] = outboxChanges([record({ ...image, familyId: { S: 'one' } })]);
    expect(() => c?.item()).toThrow(InvariantError);
  });
});
