import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEventBridgeClient } from '../../functions/adapters/eventbridge/client';
import { EventBridgePublisher } from '../../functions/adapters/eventbridge/publisher';
import { notificationIdFor } from '../../functions/core/outbox/item';
import type { Notification } from '../../functions/core/outbox/notification';
import { type PutEventsFake, startPutEventsFake } from '../helpers/put-events-fake';

const notification = (n: number): Notification => ({
  notificationId: notificationIdFor(`eb-${n}`),
  familyId: 1,
  customerId: 100 + n,
  type: 'CUSTOMER_BLOCKED',
  title: '데이터 사용 차단',
  message: '보호자가 데이터 사용을 차단했어요.',
  data: {
    originEventId: `eb-${n}`,
    eventTime: '2025-01-15T03:00:00.000Z',
    period: '202501',
    status: 'MANUAL',
    reason: 'MANUAL',
    bytesUsed: 1000,
  },
});

describe('EventBridge publisher against a PutEvents wire fake', () => {
  let fake: PutEventsFake;
  let publisher: EventBridgePublisher;

  beforeAll(async () => {
    fake = await startPutEventsFake();
    publisher = new EventBridgePublisher(
      createEventBridgeClient({ endpoint: fake.endpoint, maxAttempts: 1 }),
      {
        source: 'usage-settlement',
        eventBusName: 'family-notifications',
      },
    );
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(async () => {
    fake.clearFailures();
    fake.throttle(0);
    await fake.comeBack();
  });

  it('sends at most ten entries per call and answers one result per notification, in order', async () => {
    const batch = Array.from({ length: 23 }, (_, i) => notification(i));
    const callsBefore = fake.calls.length;

    const results = await publisher.publish(batch);

    expect(fake.calls.slice(callsBefore)).toEqual([10, 10, 3]);
    expect(results).toHaveLength(23);
    expect(results.every((r) => r.ok)).toBe(true);
    const sent = fake.accepted.slice(-23);
    expect(sent.map((e) => e.detail.notificationId)).toEqual(batch.map((n) => n.notificationId));
    expect(sent[0]).toMatchObject({
      source: 'usage-settlement',
      detailType: 'CUSTOMER_BLOCKED',
      eventBusName: 'family-notifications',
      detail: batch[0],
    });
  });

  it('maps per-entry failures to the right notifications and classifies them', async () => {
    const batch = [notification(100), notification(101), notification(102)];
    fake.failNotifications([batch[1]?.notificationId ?? ''], 'ThrottlingException');
    fake.failNotifications([batch[2]?.notificationId ?? ''], 'MalformedDetail');

    const [ok, throttled, malformed] = await publisher.publish(batch);

    expect(ok).toMatchObject({ ok: true, eventId: expect.any(String) });
    expect(throttled).toMatchObject({
      ok: false,
      failure: { code: 'ThrottlingException', permanent: false },
    });
    expect(malformed).toMatchObject({ ok: false, failure: { code: 'MalformedDetail', permanent: true } });
  });

  it('fails every entry of a throttled call as retryable', async () => {
    fake.throttle(1);

    const results = await publisher.publish([notification(200), notification(201)]);

    for (const r of results) {
      expect(r).toMatchObject({ ok: false, failure: { code: 'ThrottlingException', permanent: false } });
    }
  });

  it('fails every entry as retryable while the service is down, and publishes again once it is back', async () => {
    await fake.goDown('refused');
    const refused = await publisher.publish([notification(300)]);
    await fake.comeBack();
    await fake.goDown('unavailable');
    const unavailable = await publisher.publish([notification(301)]);
    await fake.comeBack();
    const back = await publisher.publish([notification(302)]);

    expect(refused[0]).toMatchObject({ ok: false, failure: { permanent: false } });
    expect(unavailable[0]).toMatchObject({ ok: false, failure: { permanent: false } });
    expect(back[0]).toMatchObject({ ok: true });
    expect(fake.timesPublished(notification(300).notificationId)).toBe(0);
    expect(fake.timesPublished(notification(302).notificationId)).toBe(1);
  });
});
