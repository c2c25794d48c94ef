import { effectOf, type NotificationType } from './decisions';
import { InvariantError, isInvariantError } from './errors';
import { type NotificationLocale, notificationText } from './notification-text';
import type { NotificationData, OutboxItem } from './outbox';

/**
 * What a member's device receives: the EventBridge event's Detail (SPEC §5).
 * notificationId is the outbox item's key, stable across relay and sweeper
 * publishes of the same item, so consumers drop duplicates by it.
 */
export interface Notification {
  readonly notificationId: string;
  readonly familyId: number;
  readonly customerId: number;
  readonly type: NotificationType;
  readonly title: string;
  readonly message: string;
  readonly data: NotificationData;
}

/**
 * The notification for an outbox item. The threshold or block reason comes from
 * the central status table, so the text can never disagree with the decision;
 * an item whose type does not match its status is a bug and fails loudly.
 */
export function buildNotification(item: OutboxItem, locale: NotificationLocale): Notification {
  let rule: ReturnType<typeof effectOf>['notification'];
  try {
    rule = effectOf(item.data.status).notification;
  } catch (error) {
    if (!isInvariantError(error)) throw error;
    throw new InvariantError('OUTBOX_INVARIANT', `outbox item ${item.notificationId}: ${error.message}`, {
      cause: error,
    });
  }
  if (rule === null || rule.type !== item.type) {
    throw new InvariantError(
      'OUTBOX_INVARIANT',
      `outbox item ${item.notificationId} has type ${item.type} but status ${item.data.status}`,
    );
  }
  const { title, message } = notificationText(rule, item.data, locale);
  return {
    notificationId: item.notificationId,
    familyId: item.familyId,
    customerId: item.customerId,
    type: item.type,
    title,
    message,
    data: item.data,
  };
}
