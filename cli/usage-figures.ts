import type { Period } from '../functions/core/time';
import { UsageError } from './errors';

/** One line of a figures file: a family's usage in a period as the system being replaced counted it. */
export interface UsageFigure {
  readonly familyId: number;
  readonly period: Period;
  readonly usedBytes: number;
}

const HEADER = 'familyid,period,usedbytes';
const PERIOD = /^\d{4}(0[1-9]|1[0-2])$/;
const DIGITS = /^\d+$/;

/**
 * Parses `familyId,period,usedBytes` lines (an optional header of those
 * names first; blank lines skipped). The first bad line stops the parse
 * with a one-line error naming the file and line.
 */
export function parseUsageFigures(source: string, text: string): UsageFigure[] {
  const figures: UsageFigure[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || (index === 0 && line.replace(/\s/g, '').toLowerCase() === HEADER)) return;
    const bad = (why: string): never => {
      throw new UsageError(`${source} line ${lineNo}: ${why}`);
    };
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 3) bad(`expected familyId,period,usedBytes, got ${cells.length} fields: "${line}"`);
    const [family = '', period = '', used = ''] = cells;
    const familyId = Number(family);
    if (!DIGITS.test(family) || !Number.isSafeInteger(familyId) || familyId < 1)
      bad(`familyId must be a positive integer, got "${family}"`);
    if (!PERIOD.test(period)) bad(`period must be yyyyMM (e.g. 202703), got "${period}"`);
    const usedBytes = Number(used);
    if (!DIGITS.test(used) || !Number.isSafeInteger(usedBytes))
      bad(`usedBytes must be a whole number of bytes, got "${used}"`);
    const key = `${familyId}/${period}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) bad(`family ${familyId} period ${period} is already on line ${earlier}`);
    seen.set(key, lineNo);
    figures.push({ familyId, period, usedBytes });
  });
  return figures;
}
