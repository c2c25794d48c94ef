import type { Context } from 'aws-lambda';
import { expireHeldChanges } from '../core/changes/held-changes';
import { describeError } from '../core/errors';
import type { DeliveryDeps } from '../core/outbox/delivery';
import { type SweepReport, sweep } from '../core/outbox/sweep';
import { METRIC } from '../runtime/metric-names';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';
import { count } from '../runtime/observability';
import { emitSweepMetrics } from '../runtime/outbox-metrics';

export interface SweeperSettings {
  /** Time kept back from the Lambda's remaining time for the backlog query and the metrics flush. */
  readonly safetyMarginMs: number;
  /** Held changes whose wait ran out go to the dead-letter queue on the same schedule; absent, they are left. */
  readonly heldChanges?: Parameters<typeof expireHeldChanges>[0];
}

/**
 * The scheduled sweeper: its deadline is the invocation's remaining time minus
 * a safety margin, so a large backlog is worked off over several runs instead
 * of a run being killed mid-write.
 */
export function createOutboxSweeperHandler(
  deps: DeliveryDeps,
  observability: Observability,
  settings: SweeperSettings,
) {
  const { logger, metrics } = observability;
  return withObservability(async (_event: unknown, context: Context): Promise<SweepReport> => {
    const deadline = deps.clock.now() + context.getRemainingTimeInMillis() - settings.safetyMarginMs;
    const report = await sweep(deps, { deadline });
    emitSweepMetrics(metrics, report);
    if (settings.heldChanges) {
      const expired = await expireHeldChanges(settings.heldChanges).catch((error: unknown) => {
        logger.error('held changes could not be expired; the next run tries again', {
          error: describeError(error),
        });
        return 0;
      });
      count(metrics, METRIC.heldChangesExpired, expired);
    }
    if (report.errors > 0) logger.error('outbox sweep had write failures', { report });
    else logger.info('outbox sweep finished', { report });
    return report;
  }, observability);
}
