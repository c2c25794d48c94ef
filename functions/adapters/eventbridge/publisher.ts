import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { Notification } from '../../core/outbox/notification';
import type { NotificationPublisher, PublishResult } from '../../core/outbox/ports';
import { callFailure, entryFailure } from './publish-errors';

/** PutEvents accepts at most ten entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;

export interface PublisherSettings {
  readonly source: string;
  readonly eventBusName: string;
}

/**
 * Notifications to EventBridge (docs/behaviour.md, "The outbox"): Source from config, DetailType = the
 * notification type, Detail = the notification. Results are per entry, in
 * order; PutEvents answers per entry, so one rejected entry never hides the
 * others' success.
 */
export class EventBridgePublisher implements NotificationPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly settings: PublisherSettings,
  ) {}

  async publish(notifications: ReadonlyArray<Notification>): Promise<ReadonlyArray<PublishResult>> {
    const results: PublishResult[] = [];
    for (let i = 0; i < notifications.length; i += MAX_ENTRIES_PER_CALL) {
      results.push(...(await this.publishChunk(notifications.slice(i, i + MAX_ENTRIES_PER_CALL))));
    }
    return results;
  }

  entry(notification: Notification): PutEventsRequestEntry {
    return {
      Source: this.settings.source,
      DetailType: notification.type,
      Detail: JSON.stringify(notification),
      EventBusName: this.settings.eventBusName,
    };
  }

  private async publishChunk(chunk: ReadonlyArray<Notification>): Promise<PublishResult[]> {
    try {
      const { Entries = [] } = await this.client.send(
        new PutEventsCommand({ Entries: chunk.map((n) => this.entry(n)) }),
      );
      return chunk.map((_, i): PublishResult => {
        const entry = Entries[i];
        if (entry?.EventId && !entry.ErrorCode) return { ok: true, eventId: entry.EventId };
        return {
          ok: false,
          failure: entry
            ? entryFailure(entry.ErrorCode, entry.ErrorMessage)
            : entryFailure(
                undefined,
                'PutEvents returned fewer results than entries',
                'RESULT_ENTRY_MISSING',
              ),
        };
      });
    } catch (error) {
      const failure = callFailure(error);
      return chunk.map(() => ({ ok: false, failure }));
    }
  }
}
