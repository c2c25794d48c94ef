import type { KafkaRecord } from '../kafka-record';
import type { Rejection } from '../rejection';
import type { DecisionStatus } from '../status-effects';
import type { EventReply, PeriodStateSeen } from './decision';
import type { LaneEvent } from './usage-event';

/**
 * How far one event of a batch got. `open` and `answered` are not final:
 * Redis's answer only stands once the ledger has committed the lane against
 * the state Redis answered from; until then a stale state reopens it.
 */
export type ItemState =
  | { readonly kind: 'open'; readonly checked: boolean }
  | { readonly kind: 'answered'; readonly reply: EventReply }
  | { readonly kind: 'settled'; readonly status: DecisionStatus; readonly staged: boolean }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly rejection: Rejection }
  /** A correction the ledger applied, or recorded as superseded. */
  | { readonly kind: 'corrected' };

export interface Item {
  readonly record: KafkaRecord;
  /** A usage event, or a correction (never sent to Redis: applied in the ledger between commits). */
  readonly event: LaneEvent;
  state: ItemState;
}

/** A family's events of the batch, in delivery order. */
export interface Lane {
  readonly familyId: number;
  readonly items: Item[];
  /** Set when the lane stopped for this batch; its unfinished events are redelivered. */
  failed: boolean;
  /** Each period state as Redis first answered from it in this pass. */
  readonly seen: Map<string, PeriodStateSeen>;
  /** Per period state, the decisions it must hold pending after the lane's rounds so far in this pass. */
  readonly pending: Map<string, number>;
  /** Incarnations of the states a commit of this lane was refused for: never decided from again. */
  readonly stale: Set<string>;
}

export const isFinal = (item: Item) =>
  item.state.kind === 'settled' ||
  item.state.kind === 'duplicate' ||
  item.state.kind === 'rejected' ||
  item.state.kind === 'corrected';

export const isOpen = (item: Item) => item.state.kind === 'open';
