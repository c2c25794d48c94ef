import type { FamilyRecord } from '../changes/family-records';
import type { MemberPolicy } from '../family';
import type { Period } from '../time';
import type { SettlementCursor } from './request';

/** A member's figures of a period as the period item holds them. */
export interface MemberFigures {
  readonly usedBytes: number;
  readonly zeroRatedBytes: number;
  /** The decision the member's screen shows (its latest event, or a block a change left); null before any. */
  readonly latestDecision: string | null;
}

/** A family's period as the ledger holds it, read strongly consistent. */
export interface FamilyPeriodFigures {
  readonly family: FamilyRecord;
  /** Null: the family has no period item yet (no usage, no change this period). */
  readonly quotaBytes: number | null;
  readonly topupBytes: number;
  readonly usedBytes: number;
  readonly version: number;
  readonly members: ReadonlyMap<number, MemberFigures>;
  readonly globalPolicy: MemberPolicy;
}

/** One settled event as the member's settlements list shows it. */
export interface SettledEvent {
  readonly eventId: string;
  readonly eventTimeMs: number;
  readonly appId: string | null;
  readonly bytesUsed: number;
  readonly decision: string;
  /** What the event counts for after a correction lowered it; null when never corrected. */
  readonly correctedBytes: number | null;
}

export interface SettlementsPage {
  readonly events: ReadonlyArray<SettledEvent>;
  /** Where the next page starts; null on the last page. */
  readonly next: SettlementCursor | null;
}

/** The ledger reads the usage API makes; an adapter implements them. */
export interface UsageReader {
  /** The family, its members and the period item, strongly consistent. */
  familyPeriod(familyId: number, period: Period): Promise<FamilyPeriodFigures>;
  /** A member's settled events of a period, newest first, after `after` (an earlier page's end). */
  memberSettlements(
    familyId: number,
    customerId: number,
    period: Period,
    limit: number,
    after: SettlementCursor | null,
  ): Promise<SettlementsPage>;
}
