import { activeMembers } from '../changes/family-records';
import { effectivePolicy } from '../precedence';
import { blockReasonOf, percent } from '../snapshots/usage-snapshot';
import { type BlockReason, isDecisionStatus } from '../status-effects';
import type { Period } from '../time';
import type { FamilyPeriodFigures, SettlementsPage } from './ports';
import { encodeCursor } from './request';

/** The bodies the usage API answers with (docs/api/openapi.json is their schema). */

export interface MemberUsage {
  readonly customerId: number;
  readonly role: 'OWNER' | 'MEMBER';
  readonly usedBytes: number;
  readonly zeroRatedBytes: number;
  /** The member's effective monthly limit; null: none applies. */
  readonly limitBytes: number | null;
  readonly blocked: boolean;
  readonly blockReason: BlockReason | null;
}

export interface FamilyUsage {
  readonly familyId: number;
  readonly period: Period;
  readonly quotaBytes: number;
  readonly topupBytes: number;
  readonly poolBytes: number;
  readonly usedBytes: number;
  readonly remainingBytes: number;
  readonly usedPercent: number;
  readonly members: ReadonlyArray<MemberUsage>;
  /** The period item's version: rises with every commit and change of the family's period. */
  readonly version: number;
  readonly asOf: string;
}

export type FamilyMemberUsage = Omit<FamilyUsage, 'members'> & { readonly member: MemberUsage };

export interface SettlementsBody {
  readonly familyId: number;
  readonly customerId: number;
  readonly period: Period;
  readonly settlements: ReadonlyArray<{
    readonly eventId: string;
    readonly eventTime: string;
    readonly appId: string | null;
    readonly bytes: number;
    readonly decision: string;
    readonly correctedBytes: number | null;
  }>;
  readonly nextCursor: string | null;
}

export interface ErrorBody {
  readonly message: string;
}

/** The family's usage of a period: a period without an item is all zeros at version 0. */
export function familyUsage(figures: FamilyPeriodFigures, period: Period, asOfMs: number): FamilyUsage {
  const { family } = figures;
  const quotaBytes = figures.quotaBytes ?? family.quotaBytes;
  const poolBytes = quotaBytes + figures.topupBytes;
  return {
    familyId: family.familyId,
    period,
    quotaBytes,
    topupBytes: figures.topupBytes,
    poolBytes,
    usedBytes: figures.usedBytes,
    // Shown as 0 when a lowered quota leaves the family overdrawn.
    remainingBytes: Math.max(0, poolBytes - figures.usedBytes),
    usedPercent: percent(figures.usedBytes, poolBytes),
    members: activeMembers(family)
      .sort((a, b) => a.customerId - b.customerId)
      .map((m) => {
        const usage = figures.members.get(m.customerId);
        const shown = usage?.latestDecision ?? null;
        const reason = shown !== null && isDecisionStatus(shown) ? blockReasonOf(shown) : null;
        return {
          customerId: m.customerId,
          role: m.role,
          usedBytes: usage?.usedBytes ?? 0,
          zeroRatedBytes: usage?.zeroRatedBytes ?? 0,
          limitBytes: effectivePolicy(m.policy, family.policy, figures.globalPolicy).monthlyLimitBytes,
          blocked: reason !== null,
          blockReason: reason,
        };
      }),
    version: figures.version,
    asOf: new Date(asOfMs).toISOString(),
  };
}

/** One member's entry with the family's pool figures; null when the customer is not a member. */
export function memberUsage(
  figures: FamilyPeriodFigures,
  customerId: number,
  period: Period,
  asOfMs: number,
): FamilyMemberUsage | null {
  const { members, ...family } = familyUsage(figures, period, asOfMs);
  const member = members.find((m) => m.customerId === customerId);
  return member ? { ...family, member } : null;
}

export function settlementsBody(
  request: { readonly familyId: number; readonly customerId: number; readonly period: Period },
  page: SettlementsPage,
): SettlementsBody {
  return {
    familyId: request.familyId,
    customerId: request.customerId,
    period: request.period,
    settlements: page.events.map((e) => ({
      eventId: e.eventId,
      eventTime: new Date(e.eventTimeMs).toISOString(),
      appId: e.appId,
      bytes: e.bytesUsed,
      decision: e.decision,
      correctedBytes: e.correctedBytes,
    })),
    nextCursor: page.next === null ? null : encodeCursor(page.next),
  };
}
