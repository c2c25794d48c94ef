import { MAX_RECORD_AGE_MS, type Period, shiftPeriod } from '../time';

const DAY_SECONDS = 86_400;

/**
 * How long an event's fate (its settlement or rejection record) stays in the
 * ledger, in days after the period following the event's ends. A fate of
 * period P is needed while something may still ask for it:
 *
 * - a delivery, replay or batch replay of its Kafka record: the record was
 *   accepted, so it was written before P + 2 began (the accepted window starts
 *   one period before the record's), and it is decided up to MAX_RECORD_AGE_MS
 *   (31 days) after; past that only the fate keeps a redelivery from a dead
 *   letter, which matters for as long as the topic retains the record;
 * - a correction of the event: accepted while the event's period is accepted
 *   by the correction's own record, so the same bound (about three months
 *   after the event at most);
 * - a dead-letter replay: a rejected event has no settlement, and replaying
 *   a NOT_A_MEMBER letter removes its rejection first.
 *
 * So the bound is max(31 days, topic retention) after P + 2 begins, plus
 * slack: the topic retention may not exceed it (docs/deploy.md).
 */
export const DEFAULT_FATE_RETENTION_DAYS = 35;

/** The replay bound plus a day: less and a record still decided could find its fate gone. */
export const MIN_FATE_RETENTION_DAYS = Math.ceil(MAX_RECORD_AGE_MS / (DAY_SECONDS * 1000)) + 1;

/**
 * Epoch seconds after which DynamoDB may delete a fate of `period`: the UTC
 * start of P + 2 plus a day (no zone's month begins more than 14 hours from
 * UTC's), plus the retention. Independent of the settlement zone, so every
 * writer computes the same value.
 */
export function fateExpiry(period: Period, retentionDays: number): number {
  const next = shiftPeriod(period, 2);
  const startSeconds = Date.UTC(Number(next.slice(0, 4)), Number(next.slice(4, 6)) - 1, 1) / 1000;
  return startSeconds + DAY_SECONDS + retentionDays * DAY_SECONDS;
}
