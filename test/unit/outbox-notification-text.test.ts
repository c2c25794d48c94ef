import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../functions/core/errors';
import {
  type UsageNotificationData as NotificationData,
  newOutboxItem,
} from '../../functions/core/outbox/item';
import { buildNotification } from '../../functions/core/outbox/notification';
import { NOTIFICATION_LOCALES, notificationText } from '../../functions/core/outbox/notification-text';
import { BLOCK_REASONS, effectOf, THRESHOLD_STATUSES } from '../../functions/core/status-effects';

const data = (
  status: NotificationData['status'],
  extra: Partial<NotificationData> = {},
): NotificationData => ({
  originEventId: 'evt-1',
  eventTime: '2025-01-15T03:00:00.000Z',
  period: '202501',
  status,
  bytesUsed: 1000,
  ...extra,
});

describe('notification text', () => {
  it('has a distinct, non-empty title and message for every threshold and block reason in every locale', () => {
    for (const locale of NOTIFICATION_LOCALES) {
      const seen = new Set<string>();
      for (const status of [...THRESHOLD_STATUSES, ...BLOCK_REASONS]) {
        const rule = effectOf(status).notification;
        if (!rule) throw new Error(`${status} has no notification`);
        const { title, message } = notificationText(rule, data(status), locale);
        expect(title.trim()).not.toBe('');
        expect(message.trim()).not.toBe('');
        seen.add(message);
      }
      expect(seen.size).toBe(THRESHOLD_STATUSES.length + BLOCK_REASONS.length);
    }
  });

  it('is Korean or English as configured, and names the blocked app', () => {
    const rule = effectOf('APP_BLOCK').notification;
    if (!rule) throw new Error('APP_BLOCK has no notification');
    const ko = notificationText(rule, data('APP_BLOCK', { appId: 'youtube' }), 'ko');
    const en = notificationText(rule, data('APP_BLOCK', { appId: 'youtube' }), 'en');

    expect(ko.message).toMatch(/[가-힣]/);
    expect(ko.message).toContain('youtube');
    expect(en.message).toBe('Data use by youtube is blocked by the plan owner.');
  });
});

describe('buildNotification', () => {
  const item = newOutboxItem(
    { familyId: 3, customerId: 4, type: 'THRESHOLD_ALERT', data: data('WARNING_30', { threshold: 30 }) },
    1_750_000_000_000,
    120_000,
  );

  it('builds the EventBridge detail with the stable id of the item', () => {
    expect(buildNotification(item, 'ko')).toEqual({
      notificationId: item.notificationId,
      familyId: 3,
      customerId: 4,
      type: 'THRESHOLD_ALERT',
      title: '가족 데이터 30% 미만 남음',
      message: expect.stringContaining('30%'),
      data: item.data,
    });
  });

  it('fails loudly when the type does not match the status, or the status is unknown', () => {
    expect(() => buildNotification({ ...item, type: 'CUSTOMER_BLOCKED' }, 'ko')).toThrow(InvariantError);
    expect(() => buildNotification({ ...item, data: data('NORMAL') }, 'ko')).toThrow(InvariantError);
    const unknown = { ...item, data: { ...item.data, status: 'SOMETHING_NEW' } } as unknown as typeof item;
    expect(() => buildNotification(unknown, 'en')).toThrow(
      expect.objectContaining({ code: 'OUTBOX_INVARIANT' }),
    );
  });
});

describe('a top-up notification', () => {
  const topup = {
    originEventId: 'fam-topup-1',
    eventTime: '2026-12-05T01:00:00.000Z',
    period: '202612',
    topupId: 'order-55121',
    bytes: 5 * 1024 ** 3,
    poolBytes: 15 * 1024 ** 3,
    remainingBytes: 5 * 1024 ** 3 + 512 * 1024 ** 2,
  };
  const applied = newOutboxItem(
    { familyId: 100, customerId: null, type: 'TOPUP_APPLIED', data: topup },
    0,
    0,
  );
  const unblocked = newOutboxItem(
    {
      familyId: 100,
      customerId: 12,
      type: 'CUSTOMER_UNBLOCKED',
      data: { ...topup, reason: 'FAMILY_QUOTA_EXCEEDED' },
    },
    0,
    0,
  );

  it('tells the family how much was added and what is left, and each unblocked member that data works again', () => {
    expect(buildNotification(applied, 'en')).toMatchObject({
      customerId: null,
      type: 'TOPUP_APPLIED',
      title: 'Data added',
      message: "5.0GB was added to your family's data. Left: 5.5GB",
    });
    expect(buildNotification(applied, 'ko').message).toContain('5.0GB');
    expect(buildNotification(unblocked, 'en')).toMatchObject({
      title: 'Data available again',
      customerId: 12,
    });
  });

  it('has one id per notification the top-up owes, the same whenever it is staged again', () => {
    const again = newOutboxItem(
      { familyId: 100, customerId: null, type: 'TOPUP_APPLIED', data: topup },
      9,
      9,
    );
    expect(again.notificationId).toBe(applied.notificationId);
    expect(unblocked.notificationId).not.toBe(applied.notificationId);
  });

  it('fails loudly as any other type', () => {
    expect(() => buildNotification({ ...applied, type: 'THRESHOLD_ALERT' }, 'en')).toThrow(InvariantError);
  });
});
