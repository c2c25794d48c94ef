import type { MemberPolicy } from './family';
import { type DecisionStatus, effectOf, isDecisionStatus } from './status-effects';
import type { CommittedPeriod, MemberChange } from './usage-snapshot';
import type { CommittedStateReader } from './usage-snapshot-ports';

/** A family's period item as one commit left it: what the live usage snapshots read from the ledger's stream. */
export interface PeriodImage {
  readonly familyId: number;
  readonly period: string;
  /** The commit stamp the commit left (core/commit-stamp.ts). */
  readonly stampMs: number;
  /** When the commit was made (epoch ms). */
  readonly committedAtMs: number;
  /** Fixed when the item was first written; null before. */
  readonly quotaBytes: number | null;
  readonly familyUsedBytes: number;
  readonly members: ReadonlyMap<
    number,
    {
      readonly usedBytes: number;
      /** Settled events of the member in the period, blocked ones included. */
      readonly events: number;
      readonly latestDecision: string | null;
    }
  >;
}

/** One change of a period item: before (null for a new item) and after. */
export interface PeriodImageChange {
  readonly before: PeriodImage | null;
  readonly after: PeriodImage;
}

/**
 * The members a commit settled events of (their count of settled events
 * rose), each with the decision of its latest event: what the snapshot shows
 * as blocked or not. A change that settled nothing (a family or policy change
 * moving the version) changes no member.
 */
export function memberChangesOf(change: PeriodImageChange): MemberChange[] {
  const { before, after } = change;
  const changes: MemberChange[] = [];
  for (const [customerId, member] of after.members) {
    const earlier = before?.members.get(customerId)?.events ?? 0;
    if (member.events <= earlier || member.latestDecision === null) continue;
    if (!isDecisionStatus(member.latestDecision)) continue;
    const status: DecisionStatus = member.latestDecision;
    changes.push({
      familyId: after.familyId,
      customerId,
      period: after.period,
      status,
      counted: effectOf(status).counted,
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

export interface FamilyLimitsSource {
  /** Families absent from the answer have no family item. */
  read(
    wanted: ReadonlyArray<{ readonly familyId: number; readonly customerIds: ReadonlyArray<number> }>,
  ): Promise<ReadonlyMap<number, FamilyLimits>>;
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
  for (const { after } of changes) {
    const key = `${after.familyId}/${after.period}`;
    const held = newest.get(key);
    if (!held || after.stampMs >= held.stampMs) newest.set(key, after);
  }
  return {
    async read(wanted, globalPolicy) {
      const families = new Map<number, Set<number>>();
      for (const w of wanted) {
        const ids = families.get(w.familyId) ?? new Set<number>();
        for (const c of w.customerIds) ids.add(c);
        families.set(w.familyId, ids);
      }
      const known = await limits.read(
        [...families].map(([familyId, ids]) => ({ familyId, customerIds: [...ids] })),
      );
      const states: CommittedPeriod[] = [];
      for (const w of wanted) {
        const image = newest.get(`${w.familyId}/${w.period}`);
        if (!image) continue;
        const family = known.get(w.familyId);
        const members = new Map<number, { usedBytes: number; monthlyLimitBytes: number | null }>();
        for (const customerId of w.customerIds) {
          const own = family?.memberPolicies.get(customerId);
          members.set(customerId, {
            usedBytes: image.members.get(customerId)?.usedBytes ?? 0,
            // The levels fall through as in the decision: member, then family, then the global default.
            monthlyLimitBytes:
              own?.monthlyLimitBytes ??
              family?.familyPolicy.monthlyLimitBytes ??
              globalPolicy.monthlyLimitBytes,
          });
        }
        states.push({
          familyId: image.familyId,
          period: image.period,
          stampMs: image.stampMs,
          quotaBytes: image.quotaBytes ?? family?.quotaBytes ?? 0,
          familyUsedBytes: image.familyUsedBytes,
          members,
        });
      }
      return states;
    },
  };
}
