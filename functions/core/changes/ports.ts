import type { OutboxItem } from '../outbox/item';
import type { FamilyRecord, GlobalRecord, TopupRecord } from './family-records';
import type { GlobalRevision } from './global-catch-up';
import type { ChangePlan, PeriodEdit } from './plan-change';

/** The ledger side of family and policy changes. */
export interface ChangeStore {
  /** The family with its members and its live periods (the given ones). */
  readFamily(familyId: number, periods: ReadonlyArray<string>): Promise<FamilyRecord>;
  readGlobal(): Promise<GlobalRecord>;
  /** The top-up the ledger took under this id; null when none. */
  readTopup(topupId: string): Promise<TopupRecord | null>;
  /** The global revisions after `after`, up to `upTo`, in order, with the change that made each. */
  globalRevisions(after: number, upTo: number): Promise<GlobalRevision[]>;
  /**
   * Commits a plan and its notifications in one transaction; false when a
   * version it was planned against moved meanwhile (read and plan again).
   */
  commit(plan: ChangePlan, outbox: ReadonlyArray<OutboxItem>, nowMs: number): Promise<boolean>;
}

/** The Redis side: the family's period states follow a committed change in place, or are dropped. */
export interface ChangeCache {
  applyChange(familyId: number, edits: ReadonlyArray<PeriodEdit>): Promise<void>;
}
