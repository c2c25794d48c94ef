import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../functions/adapters/eventbridge/publisher';
import type { Notification } from '../../functions/core/outbox/notification';

const notification = (n: number): Notification => ({
  notificationId: `id-${n}`,
  familyId: 1,
  customerId: 2,
  type: 'THRESHOLD_ALERT',
  title: 't',
  message: 'm',
  data: {
    originEventId: `e-${n}`,
    eventTime: '2025-01-15T03:00:00.000Z',
    period: '202501',
    status: 'WARNING_50',
    threshold: 50,
    bytesUsed: 1,
  },
});

describe('EventBridgePublisher (SDK mocked at the edge)', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'ap-northeast-2' }), {
    source: 'usage-settlement',
    eventBusName: 'bus',
  });

  beforeEach(() => eventBridge.reset());

  it('builds one EventBridge entry per notification, ten per call', async () => {
    eventBridge.on(PutEventsCommand).callsFake(({ Entries }) => ({
      FailedEntryCount: 0,
      Entries: Entries.map((_: unknown, i: number) => ({ EventId: `ev-${i}` })),
    }));

    const results = await publisher.publish(Array.from({ length: 12 }, (_, i) => notification(i)));

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toEqual({
      Source: 'usage-settlement',
      DetailType: 'THRESHOLD_ALERT',
      EventBusName: 'bus',
      Detail: JSON.stringify(notification(0)),
    });
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('turns failed entries into failures of exactly those notifications', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' },
        { EventId: 'ok' },
        { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'no' },
      ],
    });

    const results = await publisher.publish([notification(1), notification(2), notification(3)]);

    expect(results).toEqual([
      { ok: false, failure: { code: 'InternalFailure', message: 'try again', permanent: false } },
      { ok: true, eventId: 'ok' },
      { ok: false, failure: { code: 'NotAuthorizedForSourceException', message: 'no', permanent: true } },
    ]);
  });

  it('treats a missing result entry as a retryable failure, never as success', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'only-one' }] });

    const [, second] = await publisher.publish([notification(1), notification(2)]);

    expect(second).toMatchObject({ ok: false, failure: { code: 'RESULT_ENTRY_MISSING', permanent: false } });
  });

  it('treats an entry with neither an event id nor an error code as a retryable failure', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}] });

    const [only] = await publisher.publish([notification(1)]);

    expect(only).toMatchObject({
      ok: false,
      failure: { code: 'ENTRY_WITHOUT_ERROR_CODE', permanent: false },
    });
  });

  it('names a failed call PUT_EVENTS_FAILED when its error carries no name or code', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('socket hang up'));

    const [only] = await publisher.publish([notification(1)]);

    expect(only).toEqual({
      ok: false,
      failure: { code: 'PUT_EVENTS_FAILED', message: 'socket hang up', permanent: false },
    });
  });

  it('fails the entries of a call that throws, as retryable, without throwing', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const results = await publisher.publish([notification(1), notification(2)]);

    expect(results).toEqual([
      { ok: false, failure: { code: 'ThrottlingException', message: 'Rate exceeded', permanent: false } },
      { ok: false, failure: { code: 'ThrottlingException', message: 'Rate exceeded', permanent: false } },
    ]);
  });
});
