import type { DecisionStatus } from '../status-effects';

/** A decision as the settlement script makes it and as the ledger records it. */
export interface Decision {
  readonly status: DecisionStatus;
  readonly counted: boolean;
  readonly notify: boolean;
  readonly bytes: number;
  readonly customerId: number;
  readonly payloadHash: string;
  /** Alert markers this decision set (the notified one and any skipped levels). */
  readonly markers: ReadonlyArray<string>;
}

/** What Redis answered for one event of a lane (lua/settle-lane.lua). */
export type EventReply =
  | { readonly kind: 'new'; readonly decision: Decision }
  /** Decided by an earlier delivery and not yet confirmed in the ledger: the same decision again. */
  | { readonly kind: 'pending'; readonly decision: Decision }
  /** Settled before, within the dedup window. */
  | { readonly kind: 'settled' }
  /** Rejected before from the family's state (not a member), within the dedup window. */
  | { readonly kind: 'rejected'; readonly decidedAtVersion: number }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'not-member' };

/** Why a lane stopped before its end: nothing after this event was decided. */
export type LaneStop =
  | { readonly kind: 'hydrate'; readonly period: string }
  /** The event may have been settled before Redis could know; the ledger must say first. */
  | { readonly kind: 'verify'; readonly horizonMs: number }
  /**
   * Before any event: the period state holds pending decisions of events
   * that are not the lane's (refused by a commit, or of a batch the mapping
   * gave up on), so its usage is not the ledger's; it must be loaded afresh.
   */
  | { readonly kind: 'reload'; readonly period: string }
  /**
   * The period state took another global revision than the one the caller
   * decides with: the family must take the global changes after it first,
   * or the caller's global values are older than what it already decided with.
   */
  | { readonly kind: 'global'; readonly period: string; readonly revision: number };

/**
 * A period state as a lane saw it. The incarnation changes whenever the state
 * is loaded afresh: two states at the same version differ in the decisions
 * they hold pending, so one commit never mixes answers from both.
 */
export interface PeriodStateSeen {
  readonly version: number;
  readonly quotaBytes: number;
  readonly incarnation: string;
  /** Decisions the state held pending (decided, not yet confirmed) when the call began. */
  readonly pending: number;
  /** The commit stamp of the state's version. */
  readonly stampMs: number;
  /** The global revision whose changes the family took in this period; null: none yet. */
  readonly globalRevision: number | null;
  /** Redis, or the states the batch loaded from the ledger into memory while Redis was out. */
  readonly source: DecisionSource;
}

export type DecisionSource = 'redis' | 'ledger';

export interface LaneReply {
  /** One reply per event, from the first event sent, in order. */
  readonly replies: ReadonlyArray<EventReply>;
  readonly stop: LaneStop | null;
  /** Version, quota, incarnation and pending count of each period state the answers came from. */
  readonly states: ReadonlyMap<string, PeriodStateSeen>;
}
