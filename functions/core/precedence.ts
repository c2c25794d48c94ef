import type { MemberPolicy } from './family';

/** The policy levels in the order they win. */
export const POLICY_LEVELS = ['MEMBER', 'FAMILY', 'GLOBAL'] as const;
export type PolicyLevel = (typeof POLICY_LEVELS)[number];

/** Whether a level holds a value of each key; a level without one lets the next show through. */
const HAS = {
  limit: (p: MemberPolicy) => p.monthlyLimitBytes !== null,
  manual: (p: MemberPolicy) => p.manualBlock,
  window: (p: MemberPolicy) => p.blockWindow !== null,
  apps: (p: MemberPolicy) => p.blockedApps.length > 0,
  zeroRated: (p: MemberPolicy) => p.zeroRatedApps.length > 0,
} as const;
export type PolicyField = keyof typeof HAS;

/**
 * The one place member > family > global is written in TypeScript (the Lua
 * script has its own, checked against this by the property tests): per key,
 * the first level that has a value wins. For the manual block that means any
 * level that blocks; for blocked and zero-rated apps, a member's set replaces the family's.
 */
export function winningLevel(
  field: PolicyField,
  member: MemberPolicy | undefined,
  family: MemberPolicy,
  global: MemberPolicy,
): PolicyLevel | null {
  const levels = [member, family, global];
  const at = levels.findIndex((level) => level !== undefined && HAS[field](level));
  return at < 0 ? null : (POLICY_LEVELS[at] as PolicyLevel);
}

/** The policy that decides a member's events. */
export function effectivePolicy(
  member: MemberPolicy | undefined,
  family: MemberPolicy,
  global: MemberPolicy,
): MemberPolicy {
  const from = (field: PolicyField): MemberPolicy | null => {
    const level = winningLevel(field, member, family, global);
    return level === 'MEMBER'
      ? (member ?? null)
      : level === 'FAMILY'
        ? family
        : level === 'GLOBAL'
          ? global
          : null;
  };
  return {
    monthlyLimitBytes: from('limit')?.monthlyLimitBytes ?? null,
    manualBlock: from('manual') !== null,
    blockWindow: from('window')?.blockWindow ?? null,
    blockedApps: from('apps')?.blockedApps ?? [],
    zeroRatedApps: from('zeroRated')?.zeroRatedApps ?? [],
  };
}
