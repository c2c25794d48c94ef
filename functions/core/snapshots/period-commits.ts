import { type MemberPolicy, NO_POLICY } from '../family';
import { effectivePolicy } from '../precedence';
import { isDecisionStatus } from '../status-effects';
import type { CommittedStateReader } from './ports';
import type { CommittedPeriod, MemberChange } from './usage-snapshot';

/** A family's period item as one commit left it: what the live usage snapshots read from the ledger's stream. */
export interface PeriodImage {
  readonly familyId: number;
  readonly period: string;
  /** The commit stamp the commit left (core/commit-stamp.ts). */
  readonly stampMs: number;
  /** When the commit was made (epoch ms): a settlement's or a family or policy change's. */
  readonly committedAtMs: number;
  /** When a family or policy change last wrote the item (epoch ms; 0: never). */
  readonly changedAtMs: number;
  /** Fixed when the item was first written; null before. */
  readonly quotaBytes: number | null;
  /** The period's top-ups: the pool is the quota plus them. */
  readonly topupBytes: number;
  readonly familyUsedBytes: number;
  readonly members: ReadonlyMap<
    number,
    {
      readonly usedBytes: number;
      /** Usage of zero-rated apps: shown, never charged. */
      readonly zeroRatedBytes: number;
      /** What the member's screen shows: its latest decision, or the block a change left it in. */
      readonly latestDecision: string | null;
      /** The stamp of the last commit that changed the member's screen; null before any. */
      readonly shownStampMs: number | null;
    }
  >;
}

/** One change of a period item: before (null for a new item) and after. */
export interface PeriodImageChange {
  readonly before: PeriodImage | null;
  readonly after: PeriodImage;
}

/**
 * The members whose screen a commit changed: a settlement writes every
 * member it settled events of, a family or policy change every member it
 * blocks, unblocks or shows a new limit or pool to, each with what the screen
 * shows now. A commit that changes no screen (a time window, say) names none.
 */
export function memberChangesOf(change: PeriodImageChange): MemberChange[] {
  const { before, after } = change;
  const changes: MemberChange[] = [];
  for (const [customerId, member] of after.members) {
    const shown = member.shownStampMs;
    if (shown === null || shown === (before?.members.get(customerId)?.shownStampMs ?? null)) continue;
    if (member.latestDecision === null || !isDecisionStatus(member.latestDecision)) continue;
    changes.push({
      familyId: after.familyId,
      customerId,
      period: after.period,
      status: member.latestDecision,
      committedStampMs: after.stampMs,
      committedAtMs: after.committedAtMs,
    });
  }
  return changes;
}

/** The family's quota and the policies that give each member's monthly limit. */
export interface FamilyLimits {
  readonly quotaBytes: number;
  readonly familyPolicy: MemberPolicy;
  readonly memberPolicies: ReadonlyMap<number, MemberPolicy>;
}

/** A family whose limits a batch's snapshots need. */
export interface LimitsWanted {
  readonly familyId: number;
  readonly customerIds: ReadonlyArray<number>;
  /** A family or policy change of the batch may have just written the family: read it strongly consistent. */
  readonly fresh: boolean;
  /** Per period, the change stamp (`changedAtMs`) of the image the snapshots are built from. */
  readonly changedAtMs: ReadonlyMap<string, number>;
  /** The other members those images list (they used data): worth reading with the family, for their next commits. */
  readonly listed: ReadonlyArray<number>;
}

export interface FamilyLimitsSource {
  /**
   * Families absent from the answer have no family item. Those not `fresh`
   * may be read eventually consistent, as a limit rarely moves.
   */
  read(wanted: ReadonlyArray<LimitsWanted>): Promise<ReadonlyMap<number, FamilyLimits>>;
}

/**
 * The committed state snapshots are built from when they come from the
 * stream: each family period as its newest image in the batch holds it (never
 * a later read, so a snapshot's figures and version belong to one commit),
 * with the members' limits read from the family and member items.
 */
export function committedFromImages(
  changes: ReadonlyArray<PeriodImageChange>,
  limits: FamilyLimitsSource,
): CommittedStateReader {
  const newest = new Map<string, PeriodImage>();
  const changedFamilies = new Set<number>();
  for (const { before, after } of changes) {
    const key = `${after.familyId}/${after.period}`;
    const held = newest.get(key);
    if (!held || after.stampMs >= held.stampMs) newest.set(key, after);
    if (after.changedAtMs !== (before?.changedAtMs ?? 0)) changedFamilies.add(after.familyId);
  }
  return {
    async read(wanted, globalPolicy) {
      const families = new Map<
        number,
        { ids: Set<number>; listed: Set<number>; changedAtMs: Map<string, number> }
      >();
      for (const w of wanted) {
        const family = families.get(w.familyId) ?? {
          ids: new Set<number>(),
          listed: new Set<number>(),
          changedAtMs: new Map(),
        };
        for (const c of w.customerIds) family.ids.add(c);
        const image = newest.get(`${w.familyId}/${w.period}`);
        if (image) {
          family.changedAtMs.set(w.period, image.changedAtMs);
          for (const c of image.members.keys()) family.listed.add(c);
        }
        families.set(w.familyId, family);
      }
      const known = await limits.read(
        [...families].map(([familyId, { ids, listed, changedAtMs }]) => ({
          familyId,
          customerIds: [...ids],
          fresh: changedFamilies.has(familyId),
          changedAtMs,
          listed: [...listed].filter((c) => !ids.has(c)),
        })),
      );
      const states: CommittedPeriod[] = [];
      for (const w of wanted) {
        const image = newest.get(`${w.familyId}/${w.period}`);
        if (!image) continue;
        const family = known.get(w.familyId);
        const members = new Map<
          number,
          { usedBytes: number; zeroRatedBytes: number; monthlyLimitBytes: number | null }
        >();
        for (const customerId of w.customerIds) {
          const member = image.members.get(customerId);
          members.set(customerId, {
            usedBytes: member?.usedBytes ?? 0,
            zeroRatedBytes: member?.zeroRatedBytes ?? 0,
            monthlyLimitBytes: effectivePolicy(
              family?.memberPolicies.get(customerId),
              family?.familyPolicy ?? NO_POLICY,
              globalPolicy,
            ).monthlyLimitBytes,
          });
        }
        states.push({
          familyId: image.familyId,
          period: image.period,
          stampMs: image.stampMs,
          quotaBytes: image.quotaBytes ?? family?.quotaBytes ?? 0,
          topupBytes: image.topupBytes,
          familyUsedBytes: image.familyUsedBytes,
          members,
        });
      }
      return states;
    },
  };
}
