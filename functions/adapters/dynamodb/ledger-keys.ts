import type { Period } from '../../core/time';

/**
 * Sort keys are chosen so one Query (SK < "N") returns a family's FAMILY item
 * and all MEMBER# items, and another (begins_with PERIOD#<p>) returns the
 * family's and every member's usage for a period: hydration costs two queries.
 */
const familyPk = (familyId: number) => `FAMILY#${familyId}`;
const CHANGE_PREFIX = '~CHANGE#';
const HELD_PREFIX = '~HELD#';

export const ledgerKeys = {
  family: (familyId: number) => ({ PK: familyPk(familyId), SK: 'FAMILY' }),
  member: (familyId: number, customerId: number) => ({ PK: familyPk(familyId), SK: `MEMBER#${customerId}` }),
  familyPeriod: (familyId: number, period: Period) => ({ PK: familyPk(familyId), SK: `PERIOD#${period}` }),
  settlement: (eventId: string) => ({ PK: `SETTLEMENT#${eventId}`, SK: 'SETTLEMENT' }),
  /** A top-up taken, by its topupId: one item per purchase, whichever family it names. */
  topup: (topupId: string) => ({ PK: `TOPUP#${topupId}`, SK: 'TOPUP' }),
  /** The global default policy level (one item). */
  globalPolicy: () => ({ PK: 'GLOBAL', SK: 'POLICY' }),
  /** One revision of the global default level: the change that made it and the level before and after. */
  globalRevision: (revision: number) => ({ PK: 'GLOBAL', SK: `~REV#${String(revision).padStart(12, '0')}` }),
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
  /**
   * A policy change held until its member or family appears, keyed by its
   * version so a family's held changes read back in version order; after the
   * directory, the periods and the history like the change log.
   */
  heldChange: (familyId: number, version: string) => ({
    PK: familyPk(familyId),
    SK: `${HELD_PREFIX}${version}`,
  }),
  heldPrefix: HELD_PREFIX,
  /** The periods index partition where held changes wait, sorted by when their wait runs out. */
  heldChangesIndexPk: 'HELD',
  periodFamiliesIndexPk: (period: Period) => `PERIOD#${period}`,
  familyPk,
  /** Upper bound (exclusive) of the sort keys of the FAMILY and MEMBER# items. */
  directorySortKeyBound: 'N',
  periodPrefix: (period: Period) => `PERIOD#${period}`,
} as const;
