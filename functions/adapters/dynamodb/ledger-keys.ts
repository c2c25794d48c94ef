import type { Period } from '../../core/time';

/**
 * Sort keys are chosen so one Query (SK < "N") returns a family's FAMILY item
 * and all MEMBER# items, and another (begins_with PERIOD#<p>) returns the
 * family's and every member's usage for a period: hydration costs two queries.
 */
const familyPk = (familyId: number) => `FAMILY#${familyId}`;
const CHANGE_PREFIX = '~CHANGE#';

export const ledgerKeys = {
  family: (familyId: number) => ({ PK: familyPk(familyId), SK: 'FAMILY' }),
  member: (familyId: number, customerId: number) => ({ PK: familyPk(familyId), SK: `MEMBER#${customerId}` }),
  familyPeriod: (familyId: number, period: Period) => ({ PK: familyPk(familyId), SK: `PERIOD#${period}` }),
  settlement: (eventId: string) => ({ PK: `SETTLEMENT#${eventId}`, SK: 'SETTLEMENT' }),
  /** The global default policy level (one item). */
  globalPolicy: () => ({ PK: 'GLOBAL', SK: 'POLICY' }),
  /**
   * A committed change of a family (or of the global level, familyId null).
   * '~' sorts after every other sort key of the partition, so the directory
   * and period queries never read the history.
   */
  change: (familyId: number | null, version: string) => ({
    PK: familyId === null ? 'GLOBAL' : familyPk(familyId),
    SK: `${CHANGE_PREFIX}${version}`,
  }),
  changePrefix: CHANGE_PREFIX,
  periodFamiliesIndexPk: (period: Period) => `PERIOD#${period}`,
  familyPk,
  /** Upper bound (exclusive) of the sort keys of the FAMILY and MEMBER# items. */
  directorySortKeyBound: 'N',
  periodPrefix: (period: Period) => `PERIOD#${period}`,
} as const;
