import type { Change } from './change-event';
import { describeValue } from './policy-keys';
import type { Version } from './version';

/**
 * A committed family or policy change as the ledger keeps it, in the same
 * transaction: which event made it, when, and what it did. Operators read a
 * family's history from it ("why is my child blocked"); the local run counts
 * applied events from it.
 */
export interface ChangeLogEntry {
  readonly eventId: string;
  readonly eventType: string;
  readonly version: Version;
  /** The event's own time (epoch ms): the order among changes of one value. */
  readonly timestampMs: number;
  readonly appliedAt: number;
  readonly summary: string;
  readonly notifications: number;
}

/** What a change sets, in one line. */
export function describeChange(change: Change): string {
  switch (change.kind) {
    case 'policy': {
      const { target } = change;
      const where =
        target.level === 'MEMBER'
          ? `customer ${target.customerId}`
          : target.level === 'FAMILY'
            ? 'the family'
            : 'every family (global default)';
      return `${change.value.key} = ${describeValue(change.value)} for ${where}`;
    }
    case 'family-upserted':
      return `family set: quota ${change.quotaBytes} bytes, members ${change.members.map((m) => m.customerId).join(', ')}`;
    case 'member-joined':
      return `customer ${change.customerId} joined as ${change.role}`;
    case 'member-left':
      return `customer ${change.customerId} left`;
    case 'quota-changed':
      return `quota set to ${change.quotaBytes} bytes`;
    case 'topup-added':
      return `top-up ${change.topupId}: ${change.bytes} bytes added to ${change.period}`;
  }
}

export function changeLogEntry(change: Change, notifications: number, nowMs: number): ChangeLogEntry {
  return {
    eventId: change.eventId,
    eventType: change.eventType,
    version: change.version,
    timestampMs: change.timestampMs,
    appliedAt: nowMs,
    summary: describeChange(change),
    notifications,
  };
}
