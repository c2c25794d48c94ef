import type { MemberPolicy } from '../family';
import type { Role } from './change-event';
import type { PolicyKey } from './policy-keys';
import type { Version } from './version';

/** Per key, the version of the value a level holds (a removal has a version too). */
export type PolicyVersions = Readonly<Partial<Record<PolicyKey, Version>>>;

export interface MemberRecord {
  readonly customerId: number;
  readonly role: Role;
  /** False for a member who left: kept, with its version, so an older join arriving late stays stale. */
  readonly active: boolean;
  readonly membershipVersion: Version | undefined;
  readonly policy: MemberPolicy;
  readonly policyVersions: PolicyVersions;
}

/** A family period as a change needs it: its version, quota and each member's usage and alerts. */
export interface PeriodRecord {
  readonly period: string;
  readonly version: number;
  /** The commit stamp the period's last commit or change left. */
  readonly stampMs: number;
  /** The global revision whose changes the family took in this period; null: none yet. */
  readonly globalRevision: number | null;
  /** The quota fixed on the period, or null when none is yet (the family's applies). */
  readonly quotaBytes: number | null;
  /** The period's top-ups: the pool is the quota plus them. */
  readonly topupBytes: number;
  readonly used: ReadonlyMap<number, number>;
  readonly alerts: ReadonlyMap<number, ReadonlyArray<string>>;
}

/** What the ledger holds about a family, read before a change is planned. */
export interface FamilyRecord {
  readonly familyId: number;
  readonly exists: boolean;
  readonly name: string | null;
  readonly quotaBytes: number;
  readonly quotaVersion: Version | undefined;
  /** The version of the last full member list (FAMILY_UPSERTED). */
  readonly membersVersion: Version | undefined;
  readonly policy: MemberPolicy;
  readonly policyVersions: PolicyVersions;
  readonly members: ReadonlyMap<number, MemberRecord>;
  /** The periods whose events may still arrive, in order. */
  readonly periods: ReadonlyArray<PeriodRecord>;
}

/** A top-up the ledger took, kept by its topupId so the same purchase is never added twice. */
export interface TopupRecord {
  readonly topupId: string;
  readonly familyId: number;
  readonly bytes: number;
  readonly period: string;
  /** The event that carried it. */
  readonly eventId: string;
}

export interface GlobalRecord {
  readonly policy: MemberPolicy;
  readonly policyVersions: PolicyVersions;
  /** Moves with every change of the global item (a write guard). */
  readonly revision: number;
}

export const activeMembers = (family: FamilyRecord): MemberRecord[] =>
  [...family.members.values()].filter((m) => m.active);
