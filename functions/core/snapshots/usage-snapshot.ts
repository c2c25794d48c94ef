import { BLOCK_REASONS, type BlockReason, type DecisionStatus } from '../status-effects';

/** DetailType of a live usage snapshot on the bus. */
export const USAGE_UPDATED = 'USAGE_UPDATED';

/** A member's live usage as the app screens show it (the `USAGE_UPDATED` detail). */
export interface UsageSnapshot {
  readonly familyId: number;
  readonly customerId: number;
  readonly period: string;
  /** The plan's quota for the period. */
  readonly familyQuotaBytes: number;
  /** Data bought for the period, on top of the quota. */
  readonly familyTopupBytes: number;
  /** What the family may use: the quota plus the top-ups. */
  readonly familyPoolBytes: number;
  readonly familyUsedBytes: number;
  /** The pool less what is used. */
  readonly familyRemainingBytes: number;
  /** Of the pool. */
  readonly familyUsedPercent: number;
  readonly memberUsedBytes: number;
  /** Usage of zero-rated apps: shown, never charged to the pool or the limit. */
  readonly memberZeroRatedBytes: number;
  /** Null: no monthly limit applies to the member. */
  readonly memberLimitBytes: number | null;
  readonly memberUsedPercent: number | null;
  readonly blocked: boolean;
  readonly blockReason: BlockReason | null;
  /**
   * Rises with every commit that touches the member's family and period, and
   * with time across families (a member who moves ranks higher in the new
   * one); later periods rank higher.
   */
  readonly version: number;
  /** ISO-8601 time the committed state was read. */
  readonly asOf: string;
}

/** A member's screen as one commit left it, as the snapshots need it. */
export interface MemberChange {
  readonly familyId: number;
  readonly customerId: number;
  readonly period: string;
  /** The decision of the member's latest event, or the block a change left it in ('NORMAL': none). */
  readonly status: DecisionStatus;
  /** The commit stamp the commit left on the period item. */
  readonly committedStampMs: number;
  /** When the ledger answered that the commit stood (epoch ms). */
  readonly committedAtMs: number;
}

/** The latest change of one member in a batch: the one entry published for it. */
export interface CoalescedChange {
  readonly latest: MemberChange;
  /** Whether the member is shown blocked, and why. */
  readonly blockReason: BlockReason | null;
}

/** Only a block shows as one: a warning or a zero-rated app's usage is allowed. */
export function blockReasonOf(status: DecisionStatus): BlockReason | null {
  return (BLOCK_REASONS as ReadonlyArray<string>).includes(status) ? (status as BlockReason) : null;
}

/**
 * The period leads, so a consumer that keys its screen by member alone still
 * sees the new month as newer; then the commit stamp, as ms from a day before
 * the period's first day in UTC (before it in any zone). A period takes
 * commits for at most about three months (late replays included), well under
 * 10^10 ms, and yyyyMM·10^10 stays below 2^53.
 */
const PERIOD_FACTOR = 10_000_000_000;
const DAY_MS = 86_400_000;

export function snapshotVersion(period: string, stampMs: number): number {
  const base = Date.UTC(Number(period.slice(0, 4)), Number(period.slice(4, 6)) - 1, 1) - DAY_MS;
  const within = Math.min(PERIOD_FACTOR - 1, Math.max(0, stampMs - base));
  return Number(period) * PERIOD_FACTOR + within;
}

/**
 * At most one entry per member per batch: the change with the newest period,
 * then the newest version, then the latest in delivery order. `superseded`
 * counts the changes folded into a later one.
 */
export function coalesceChanges(changes: ReadonlyArray<MemberChange>): {
  readonly entries: CoalescedChange[];
  readonly superseded: number;
} {
  const latest = new Map<string, MemberChange>();
  for (const change of changes) {
    const key = `${change.familyId}/${change.customerId}`;
    const held = latest.get(key);
    if (!held || rank(change) >= rank(held)) latest.set(key, change);
  }
  const entries = [...latest.values()].map((change) => ({
    latest: change,
    blockReason: blockReasonOf(change.status),
  }));
  return { entries, superseded: changes.length - entries.length };
}

const rank = (c: MemberChange) => snapshotVersion(c.period, c.committedStampMs);

/** A family's period as the ledger holds it after the commit, with what the screens need of each member. */
export interface CommittedPeriod {
  readonly familyId: number;
  readonly period: string;
  /** The commit stamp of the state read. */
  readonly stampMs: number;
  readonly quotaBytes: number;
  readonly topupBytes: number;
  readonly familyUsedBytes: number;
  readonly members: ReadonlyMap<
    number,
    {
      readonly usedBytes: number;
      readonly zeroRatedBytes: number;
      readonly monthlyLimitBytes: number | null;
    }
  >;
}

export const percent = (used: number, of: number): number =>
  of <= 0 ? (used > 0 ? 100 : 0) : Math.round((used * 1000) / of) / 10;

export function buildSnapshot(
  state: CommittedPeriod,
  change: CoalescedChange,
  asOfMs: number,
): UsageSnapshot {
  const { customerId } = change.latest;
  const member = state.members.get(customerId);
  const used = member?.usedBytes ?? 0;
  const limit = member?.monthlyLimitBytes ?? null;
  const pool = state.quotaBytes + state.topupBytes;
  return {
    familyId: state.familyId,
    customerId,
    period: state.period,
    familyQuotaBytes: state.quotaBytes,
    familyTopupBytes: state.topupBytes,
    familyPoolBytes: pool,
    familyUsedBytes: state.familyUsedBytes,
    // Shown as 0 when a lowered quota leaves the family overdrawn.
    familyRemainingBytes: Math.max(0, pool - state.familyUsedBytes),
    familyUsedPercent: percent(state.familyUsedBytes, pool),
    memberUsedBytes: used,
    memberZeroRatedBytes: member?.zeroRatedBytes ?? 0,
    memberLimitBytes: limit,
    memberUsedPercent: limit === null ? null : percent(used, limit),
    blocked: change.blockReason !== null,
    blockReason: change.blockReason,
    version: snapshotVersion(state.period, state.stampMs),
    asOf: new Date(asOfMs).toISOString(),
  };
}
