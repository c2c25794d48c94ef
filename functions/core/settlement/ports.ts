import type { MemberPolicy, PeriodSnapshot } from '../family';
import type { LaneReply } from './decision';
import type { LedgerFate, RejectionRecord, SettlementWrite } from './records';
import type { UsageEvent } from './usage-event';

/** The collaborators settlement needs; adapters implement them, tests pass real local ones. */

export interface LaneEvent {
  readonly event: UsageEvent;
  /** The Kafka record's timestamp (epoch ms). */
  readonly recordTimestampMs: number;
  /** The ledger was asked and does not hold this event. */
  readonly checked: boolean;
}

export interface DecideContext {
  /** Records older than this may have been settled longer ago than Redis remembers. */
  readonly verifyBeforeMs: number;
  /** Allowance for clocks between Kafka timestamps and the functions' own. */
  readonly clockMarginMs: number;
  /** The global default policy level. */
  readonly globalPolicy: MemberPolicy;
  /** The global item's revision that level is at. */
  readonly globalRevision: number;
}

/** An event whose fate the ledger committed, as Redis remembers it for the dedup window. */
export interface ConfirmedEvent {
  readonly eventId: string;
  readonly payloadHash: string;
  /** Set for an event rejected from the state (not a member): the version it was rejected at. */
  readonly rejectedAtVersion?: number;
}

/** What a commit did to a period state's version: from `before` to `after`, decided in `incarnation`. */
export interface ConfirmedVersions {
  readonly before: number;
  readonly after: number;
  readonly incarnation: string;
  /** The commit stamp the ledger holds at `after`. */
  readonly stampMs: number;
}

/**
 * Per period, how many decisions the lane's earlier rounds left pending in
 * the state (their events are not sent again). Any other pending decision the
 * state holds is not the lane's, and the state is then reloaded.
 */
export type OwnedPending = ReadonlyMap<string, number>;

export interface UsageCache {
  /**
   * Decides a family's events in order against its period states; stops at
   * the first event that needs a period state loaded or the ledger asked.
   */
  decideLane(
    familyId: number,
    events: ReadonlyArray<LaneEvent>,
    context: DecideContext,
    owned?: OwnedPending,
  ): Promise<LaneReply>;
  /** Loads a period state unless one is there already. */
  hydrate(snapshot: PeriodSnapshot): Promise<void>;
  /**
   * After the ledger committed the fates of `events` of a period at version
   * `after` (from `before`), decided in `incarnation`: settled events, and
   * events rejected from the state (with the version they were rejected at).
   */
  confirm(
    familyId: number,
    period: string,
    versions: ConfirmedVersions,
    events: ReadonlyArray<ConfirmedEvent>,
  ): Promise<void>;
  /** Forgets a family's period states; the next event loads them from the ledger. */
  invalidate(familyId: number, periods: ReadonlyArray<string>): Promise<void>;
}

/** A family's writes for one period, committed only while the ledger's period version is `versionBefore`. */
export interface PeriodCommit {
  readonly period: string;
  readonly versionBefore: number;
  /** The quota the period was decided with; kept on the period item when it is created. */
  readonly quotaBytes: number;
  /** The commit stamp this commit leaves on the period item (nextStamp of the one it was decided at). */
  readonly stampMs: number;
  /** The global revision the decisions were made with: the period has taken its changes. */
  readonly globalRevision: number;
  /** The Redis state the decisions were made in (for confirming them there). */
  readonly incarnation: string;
  readonly writes: ReadonlyArray<SettlementWrite>;
  /** Events rejected from this state (not members): recorded as their fate, usage untouched. */
  readonly rejections: ReadonlyArray<RejectionRecord>;
}

/** Everything one family commits at once; the periods' versions move by one each. */
export interface CommitUnit {
  readonly familyId: number;
  readonly periods: ReadonlyArray<PeriodCommit>;
}

export type CommitOutcome =
  | { readonly kind: 'committed' }
  /**
   * Nothing of the unit was written: the ledger moved on since Redis loaded the
   * state, or holds the fates of some of the events already (listed).
   */
  | { readonly kind: 'stale'; readonly fates: ReadonlyArray<LedgerFate> }
  | { readonly kind: 'failed'; readonly error: unknown };

export interface CommitResult {
  readonly outcomes: ReadonlyMap<CommitUnit, CommitOutcome>;
  /** Transactions sent, retries included. */
  readonly transactions: number;
}

export interface Ledger {
  /** The family's state for each period: period items first, then the family and members once. */
  loadSnapshots(familyId: number, periods: ReadonlyArray<string>): Promise<PeriodSnapshot[]>;
  /** The fates the ledger holds for these events, settled or rejected (strongly consistent). */
  findFates(eventIds: ReadonlyArray<string>): Promise<Map<string, LedgerFate>>;
  /** Commits units packed into as few transactions as fit; one outcome per unit. */
  commit(units: ReadonlyArray<CommitUnit>): Promise<CommitResult>;
}
