import type { Decision, ScriptResult } from './decision';
import type { FamilySnapshot, Member } from './family';
import type { MskRecord } from './kafka-record';
import type { RejectionReason } from './rejection';
import type { SettlementRecord, SettlementWrite } from './settlement';
import type { UsageEvent } from './usage-event';

/** The collaborators settlement needs; adapters implement them, tests pass real local ones. */

export type Membership = 'member' | 'non-member' | 'unknown';

export interface UsageCache {
  membership(familyId: number, customerId: number): Promise<Membership>;
  cacheMembers(familyId: number, customerIds: ReadonlyArray<number>): Promise<void>;
  cacheNonMember(familyId: number, customerId: number): Promise<void>;
  decide(event: UsageEvent, runId: string): Promise<ScriptResult>;
  hydrate(snapshot: FamilySnapshot): Promise<void>;
  /** Undoes the decision of `undoRunId` and caches the ledger's; false when there was nothing to undo. */
  compensate(event: UsageEvent, undoRunId: string, ledgerDecision: Decision): Promise<boolean>;
}

export type LedgerOutcome =
  | { readonly kind: 'settled' }
  | { readonly kind: 'already-settled'; readonly existing: SettlementRecord };

export interface FamilyDirectory {
  readonly familyId: number;
  readonly quotaBytes: number | null;
  readonly members: ReadonlyArray<Member>;
}

export interface Ledger {
  /** One transaction: settlement record (only if absent), usage or block state, outbox item. */
  settle(write: SettlementWrite): Promise<LedgerOutcome>;
  /**
   * A family's settlements of one batch in as few transactions as possible, one
   * outcome per write, in order. Each eventId may appear once.
   */
  settleGroup(writes: ReadonlyArray<SettlementWrite>): Promise<LedgerOutcome[]>;
  loadDirectory(familyId: number): Promise<FamilyDirectory>;
  loadSnapshot(familyId: number, period: string): Promise<FamilySnapshot>;
}

export interface DeadLetter {
  readonly reason: RejectionReason;
  readonly message: string;
  readonly partitionKey: string;
  readonly record: MskRecord;
  readonly eventId: string | null;
  readonly rejectedAt: string;
}

export interface DeadLetterQueue {
  /** Sends up to any number of letters; returns those that could not be sent. */
  send(letters: ReadonlyArray<DeadLetter>): Promise<ReadonlyArray<DeadLetter>>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
