import { InvariantError, isInvariantError } from '../errors';
import { effectOf, type NotificationType } from '../status-effects';
import { isPolicyNotification, isPoolNotification, type NotificationData, type OutboxItem } from './item';
import {
  type NotificationLocale,
  notificationText,
  policyNotificationText,
  poolNotificationText,
} from './notification-text';

/**
 * What a member's device receives: the EventBridge event's Detail.
 * notificationId is the outbox item's key, stable across relay and sweeper
 * publishes of the same item, so consumers drop duplicates by it.
 */
export interface Notification {
  readonly notificationId: string;
  /** Null for a change of the global default. */
  readonly familyId: number | null;
  /** Null for a notification to the whole family. */
  readonly customerId: number | null;
  readonly type: NotificationType;
  readonly title: string;
  readonly message: string;
  readonly data: NotificationData;
}

const outboxBug = (item: OutboxItem, message: string, cause?: unknown) =>
  new InvariantError('OUTBOX_INVARIANT', `outbox item ${item.notificationId} ${message}`, { cause });

/**
 * The notification for an outbox item. For a usage decision the threshold or
 * block reason comes from the central status table, so the text can never
 * disagree with the decision; an item whose type does not match its status is
 * a bug and fails loudly.
 */
export function buildNotification(item: OutboxItem, locale: NotificationLocale): Notification {
  const base = {
    notificationId: item.notificationId,
    familyId: item.familyId,
    customerId: item.customerId,
    type: item.type,
    data: item.data,
  };
  const { data } = item;
  if (isPolicyNotification(data)) {
    if (item.type === 'THRESHOLD_ALERT' || item.type === 'TOPUP_APPLIED')
      throw outboxBug(item, `is a ${item.type} about a policy change`);
    return { ...base, ...policyNotificationText(item.type, data, locale) };
  }
  if (isPoolNotification(data)) {
    if (item.type !== 'TOPUP_APPLIED' && item.type !== 'CUSTOMER_UNBLOCKED')
      throw outboxBug(item, `is a ${item.type} about a top-up`);
    return { ...base, ...poolNotificationText(item.type, data, locale) };
  }
  let rule: ReturnType<typeof effectOf>['notification'];
  try {
    rule = effectOf(data.status).notification;
  } catch (error) {
    if (!isInvariantError(error)) throw error;
    throw outboxBug(item, `: ${error.message}`, error);
  }
  if (rule === null || rule.type !== item.type) {
    throw outboxBug(item, `has type ${item.type} but status ${data.status}`);
  }
  return { ...base, ...notificationText(rule, data, locale) };
}
