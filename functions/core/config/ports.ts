import type { OutboxItem } from '../outbox';
import type { FamilyConfig, GlobalConfig } from './family-config';
import type { GlobalRevision } from './global-catch-up';
import type { ConfigPlan, PeriodEdit } from './plan-change';

/** The ledger side of family and policy changes. */
export interface ConfigStore {
  /** The family with its members and its live periods (the given ones). */
  readFamily(familyId: number, periods: ReadonlyArray<string>): Promise<FamilyConfig>;
  readGlobal(): Promise<GlobalConfig>;
  /** The global revisions after `after`, up to `upTo`, in order, with the change that made each. */
  globalRevisions(after: number, upTo: number): Promise<GlobalRevision[]>;
  /**
   * Commits a plan and its notifications in one transaction; false when a
   * version it was planned against moved meanwhile (read and plan again).
   */
  commit(plan: ConfigPlan, outbox: ReadonlyArray<OutboxItem>, nowMs: number): Promise<boolean>;
}

/** The Redis side: the family's period states follow a committed change in place, or are dropped. */
export interface ConfigCache {
  applyConfig(familyId: number, edits: ReadonlyArray<PeriodEdit>): Promise<void>;
}
