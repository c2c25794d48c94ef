import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { periodImageChanges } from '../adapters/dynamodb/period-stream';
import type { Clock, GlobalPolicySource } from '../core/ports';
import {
  committedFromImages,
  type FamilyLimitsSource,
  memberChangesOf,
} from '../core/snapshots/period-commits';
import type { SnapshotPublisher } from '../core/snapshots/ports';
import { publishSnapshots, type SnapshotReport, type SnapshotSettings } from '../core/snapshots/publish';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';
import { emitSnapshotMetrics } from './snapshot-metrics';

export interface UsageSnapshotsDeps {
  readonly limits: FamilyLimitsSource;
  readonly publisher: SnapshotPublisher;
  readonly globalPolicy: GlobalPolicySource;
  readonly clock: Clock;
  readonly settings: SnapshotSettings;
}

/** Time left to Lambda's own timeout that publishing never uses. */
const SAFETY_MARGIN_MS = 2_000;

/**
 * The live usage snapshots, off the settlement path: the ledger stream's
 * changes of family period items give, per commit, the members it settled
 * events of and the state it left, so every entry shows one commit's figures
 * under that commit's version. Best effort: what is not published within the
 * budget is counted, and the stream batch is never delivered again for it (a
 * lost entry is superseded by the member's next one).
 */
export function createUsageSnapshotsHandler(
  deps: UsageSnapshotsDeps,
  observability: Observability,
  onReport?: (report: SnapshotReport) => void,
) {
  const { logger, metrics } = observability;
  return withObservability(
    async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
      const changes = periodImageChanges(event.Records ?? []);
      const remaining =
        typeof context?.getRemainingTimeInMillis === 'function'
          ? context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS
          : deps.settings.budgetMs;
      const report = await publishSnapshots(changes.flatMap(memberChangesOf), {
        reader: committedFromImages(changes, deps.limits),
        publisher: deps.publisher,
        globalPolicy: deps.globalPolicy,
        clock: deps.clock,
        settings: { ...deps.settings, budgetMs: Math.max(0, Math.min(deps.settings.budgetMs, remaining)) },
        log: logger,
      });
      emitSnapshotMetrics(metrics, report);
      if (report.failed > 0) logger.warn('usage snapshots not published', { failed: report.failed });
      onReport?.(report);
      return { batchItemFailures: [] };
    },
    observability,
  );
}
