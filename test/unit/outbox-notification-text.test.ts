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
