import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoOutboxStore } from '../../functions/adapters/dynamodb/outbox-store';
import { notificationIdFor, OUTBOX_STATUS } from '../../functions/core/outbox/item';
import { loadConfig } from '../../functions/runtime/config';
import { ENV } from '../../functions/runtime/env';
import { createOutboxDeps } from '../../functions/runtime/outbox-dependencies';
import { usage } from '../helpers/msk';
import { BUS_NAME, type OutboxEnv, silentLog, startOutboxEnv } from '../helpers/outbox-env';

describe('outbox relay on the real DynamoDB stream', () => {
  let env: OutboxEnv;

  beforeAll(async () => {
    env = await startOutboxEnv('outbox-relay');
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    // Each test starts from the stream position the previous one left.
    await env.stream.readNew();
    env.fake.clearFailures();
  });

  it('publishes every settled notification in chunks of at most ten and marks each SENT', async () => {
    const blocked = await env.blockedFamily(12);
    const blockedEvents = await env.settleBlocked(blocked);
    const thresholdFamily = env.newFamilyId();
    await env.settlement.families.putFamily({
      familyId: thresholdFamily,
      quotaBytes: 1000,
      members: [{ customerId: 7 }, { customerId: 8 }],
    });
    const normal = usage(`normal-${thresholdFamily}`, thresholdFamily, 8, 100);
    const warning = usage(`warn-${thresholdFamily}`, thresholdFamily, 7, 500);
    await env.settle([normal, warning]);
    const ids = [...blockedEvents, warning.eventId].map(notificationIdFor);
    const callsBefore = env.fake.calls.length;

    const event = await env.stream.readNew();
    expect(event.Records.map((r) => r.eventName)).toEqual(Array(13).fill('INSERT'));
    expect(event.Records.every((r) => r.eventSourceARN === env.stream.streamArn)).toBe(true);
    const response = await env.relayHandler()(event);

    expect(response.batchItemFailures).toEqual([]);
    const calls = env.fake.calls.slice(callsBefore);
    expect(Math.max(...calls)).toBeLessThanOrEqual(10);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(13);
    for (const id of ids) expect(env.fake.timesPublished(id)).toBe(1);

    const now = env.clock.now();
    for (const id of ids) {
      const item = await env.store.get(id);
      expect(item).toMatchObject({ status: OUTBOX_STATUS.sent, sentAt: now, attempts: 0 });
      expect(item?.expiresAt).toBe(Math.floor(now / 1000) + env.config.outbox.sentRetentionSeconds);
    }

    const blockedEntry = env.fake.accepted.find((e) => e.detail.notificationId === ids[0]);
    expect(blockedEntry).toMatchObject({
      source: 'usage-settlement',
      detailType: 'CUSTOMER_BLOCKED',
      eventBusName: BUS_NAME,
    });
    expect(blockedEntry?.detail).toEqual({
      notificationId: ids[0],
      familyId: blocked.familyId,
      customerId: blocked.customerIds[0],
      type: 'CUSTOMER_BLOCKED',
      title: '데이터 사용 차단',
      message: '보호자가 데이터 사용을 차단했어요.',
      data: {
        originEventId: blockedEvents[0],
        eventTime: expect.any(String),
        period: expect.stringMatching(/^\d{6}$/),
        status: 'MANUAL',
        reason: 'MANUAL',
        bytesUsed: 1000,
      },
    });
    const warningEntry = env.fake.accepted.find(
      (e) => e.detail.notificationId === notificationIdFor(warning.eventId),
    );
    expect(warningEntry?.detailType).toBe('THRESHOLD_ALERT');
    expect(warningEntry?.detail).toMatchObject({
      customerId: 7,
      type: 'THRESHOLD_ALERT',
      title: expect.stringContaining('50%'),
      data: { status: 'WARNING_50', threshold: 50, bytesUsed: 500, originEventId: warning.eventId },
    });
    expect(env.fake.timesPublished(notificationIdFor(normal.eventId))).toBe(0);
  });

  it('ignores its own follow-up records and a redelivered batch of items already sent', async () => {
    const family = await env.blockedFamily(3);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    const inserts = await env.stream.readNew();
    await env.relayHandler()(inserts);
    const published = env.fake.accepted.length;

    const followUps = await env.stream.readNew();
    expect(followUps.Records.length).toBeGreaterThan(0);
    expect(followUps.Records.every((r) => r.eventName === 'MODIFY')).toBe(true);
    expect((await env.relayHandler()(followUps)).batchItemFailures).toEqual([]);
    expect((await env.relayHandler()(inserts)).batchItemFailures).toEqual([]);

    expect(env.fake.accepted.length).toBe(published);
    for (const id of ids) expect(env.fake.timesPublished(id)).toBe(1);
  });

  it('records a per-entry failure on that item alone and does not fail the batch', async () => {
    const family = await env.blockedFamily(3);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    const [ok1, rejected, ok2] = ids as [string, string, string];
    env.fake.failNotifications([rejected], 'InternalFailure');

    const response = await env.relayHandler()(await env.stream.readNew());

    expect(response.batchItemFailures).toEqual([]);
    expect((await env.store.get(ok1))?.status).toBe(OUTBOX_STATUS.sent);
    expect((await env.store.get(ok2))?.status).toBe(OUTBOX_STATUS.sent);
    expect(await env.store.get(rejected)).toMatchObject({
      status: OUTBOX_STATUS.pending,
      attempts: 1,
      nextAttemptAt: env.clock.now() + env.config.outbox.backoffBaseMs,
      lastError: expect.stringContaining('InternalFailure'),
    });

    // The attempt bump is a PENDING to PENDING change: the relay leaves it to the sweeper.
    env.fake.clearFailures();
    await env.relayHandler()(await env.stream.readNew());
    expect(env.fake.timesPublished(rejected)).toBe(0);
  });

  it('fails an item at once when EventBridge calls the entry permanently invalid', async () => {
    const family = await env.blockedFamily(1);
    const [id] = (await env.settleBlocked(family)).map(notificationIdFor) as [string];
    env.fake.failNotifications([id], 'MalformedDetail');

    await env.relayHandler()(await env.stream.readNew());

    expect(await env.store.get(id)).toMatchObject({
      status: OUTBOX_STATUS.failed,
      attempts: 1,
      lastError: expect.stringContaining('MalformedDetail'),
    });
  });

  it('leaves items pending with backoff when the whole call is throttled', async () => {
    const family = await env.blockedFamily(2);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    env.fake.throttle(1);

    const response = await env.relayHandler()(await env.stream.readNew());

    expect(response.batchItemFailures).toEqual([]);
    for (const id of ids) {
      expect(await env.store.get(id)).toMatchObject({
        status: OUTBOX_STATUS.pending,
        attempts: 1,
        lastError: expect.stringContaining('ThrottlingException'),
      });
    }
  });

  it('reports outbox write failures as stream batch item failures, and the redelivery publishes', async () => {
    const family = await env.blockedFamily(2);
    const ids = (await env.settleBlocked(family)).map(notificationIdFor);
    const event = await env.stream.readNew();
    const broken = env.deliveryDeps({ store: new DynamoOutboxStore(env.tables.doc, 'no-such-outbox-table') });

    const failed = await env.relayHandler(broken)(event);

    expect(failed.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      event.Records.map((r) => r.dynamodb?.SequenceNumber).sort(),
    );
    for (const id of ids) expect(env.fake.timesPublished(id)).toBe(0);

    const retried = await env.relayHandler()(event);
    expect(retried.batchItemFailures).toEqual([]);
    for (const id of ids) {
      expect(env.fake.timesPublished(id)).toBe(1);
      expect((await env.store.get(id))?.status).toBe(OUTBOX_STATUS.sent);
    }
  });

  it('takes source, bus, locale and endpoints from the configuration', async () => {
    const family = await env.blockedFamily(1);
    const [id] = (await env.settleBlocked(family)).map(notificationIdFor) as [string];
    const config = loadConfig({
      [ENV.outboxTable]: env.tables.names.outbox,
      [ENV.dynamodbEndpoint]: env.tables.endpoint,
      [ENV.eventBridgeEndpoint]: env.fake.endpoint,
      [ENV.eventBusName]: 'configured-bus',
      [ENV.notificationSource]: 'configured.source',
      [ENV.notificationLocale]: 'en',
    });

    await env.relayHandler(createOutboxDeps(config, silentLog, env.clock))(await env.stream.readNew());

    expect(env.fake.accepted.find((e) => e.detail.notificationId === id)).toMatchObject({
      source: 'configured.source',
      eventBusName: 'configured-bus',
      detail: { title: 'Data blocked', message: 'The plan owner has blocked your data use.' },
    });
  });
});
