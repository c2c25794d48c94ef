import { forEachConcurrently } from '../functions/core/concurrency';
import type { Period } from '../functions/core/time';
import type { CliContext } from './context';
import type { UsageFigure } from './usage-figures';

/** Family periods read from the ledger at once. */
const CONCURRENCY = 8;

export interface UsageDifference {
  readonly familyId: number;
  readonly period: Period;
  /** What the figures file says. */
  readonly figureBytes: number;
  /** What the ledger's family period item holds (0 when it has none). */
  readonly ledgerBytes: number;
  /** ledger - figure: positive when the ledger counted more. */
  readonly differenceBytes: number;
}

export interface UsageComparison {
  readonly compared: number;
  readonly matching: number;
  readonly differences: ReadonlyArray<UsageDifference>;
}

/**
 * Each family period of the figures against the ledger's own total (its
 * family period item, read strongly consistent), for a shadow run or the
 * first days after a switch.
 */
export async function compareUsage(
  ctx: CliContext,
  figures: ReadonlyArray<UsageFigure>,
): Promise<UsageComparison> {
  const ledger = ctx.ledger;
  const differences: UsageDifference[] = [];
  await forEachConcurrently(figures, CONCURRENCY, async (figure) => {
    const { usedBytes } = await ledger.periodUsage(figure.familyId, figure.period);
    if (usedBytes === figure.usedBytes) return;
    differences.push({
      familyId: figure.familyId,
      period: figure.period,
      figureBytes: figure.usedBytes,
      ledgerBytes: usedBytes,
      differenceBytes: usedBytes - figure.usedBytes,
    });
  });
  differences.sort((a, b) => a.familyId - b.familyId || a.period.localeCompare(b.period));
  return { compared: figures.length, matching: figures.length - differences.length, differences };
}
