import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { forEachConcurrently } from '../../core/concurrency';
import type { SnapshotPublisher, SnapshotPutResult } from '../../core/snapshots/ports';
import { USAGE_UPDATED, type UsageSnapshot } from '../../core/snapshots/usage-snapshot';
import { callFailure, entryFailure } from './publish-errors';
import { MAX_ENTRIES_PER_CALL, type PublisherSettings } from './publisher';

/** Calls in flight at once: a batch can change hundreds of members, and each call waits a round trip. */
const CALLS_IN_FLIGHT = 8;

/**
 * Usage snapshots to EventBridge: Source as the notifications, DetailType
 * USAGE_UPDATED, Detail = the snapshot. Chunks of ten go out concurrently;
 * results are per entry, in order.
 */
export class EventBridgeSnapshotPublisher implements SnapshotPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly settings: PublisherSettings,
  ) {}

  async publish(snapshots: ReadonlyArray<UsageSnapshot>): Promise<ReadonlyArray<SnapshotPutResult>> {
    const results: SnapshotPutResult[] = new Array(snapshots.length);
    const starts: number[] = [];
    for (let i = 0; i < snapshots.length; i += MAX_ENTRIES_PER_CALL) starts.push(i);
    await forEachConcurrently(starts, CALLS_IN_FLIGHT, async (start) => {
      const chunk = snapshots.slice(start, start + MAX_ENTRIES_PER_CALL);
      const answers = await this.publishChunk(chunk);
      for (const [i, answer] of answers.entries()) results[start + i] = answer;
    });
    return results;
  }

  private async publishChunk(chunk: ReadonlyArray<UsageSnapshot>): Promise<SnapshotPutResult[]> {
    try {
      const { Entries = [] } = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((s) => ({
            Source: this.settings.source,
            DetailType: USAGE_UPDATED,
            Detail: JSON.stringify(s),
            EventBusName: this.settings.eventBusName,
          })),
        }),
      );
      return chunk.map((_, i): SnapshotPutResult => {
        const entry = Entries[i];
        if (entry?.EventId && !entry.ErrorCode) return { ok: true };
        const failure = entry
          ? entryFailure(entry.ErrorCode, entry.ErrorMessage)
          : entryFailure(undefined, 'PutEvents returned fewer results than entries', 'RESULT_ENTRY_MISSING');
        return { ok: false, code: failure.code, permanent: failure.permanent };
      });
    } catch (error) {
      const failure = callFailure(error);
      return chunk.map(() => ({ ok: false, code: failure.code, permanent: false }));
    }
  }
}
