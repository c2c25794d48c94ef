import type { PolicyKey } from '../functions/core/changes/policy-keys';
import type { MemberPolicy } from '../functions/core/family';
import { formatBytes } from './output';

/** A policy in one short phrase: "limit 2.00 GiB, manual block, window 2300-0600, apps com.a,com.b, free com.c". */
export function describePolicy(policy: MemberPolicy): string {
  const parts: string[] = [];
  if (policy.monthlyLimitBytes !== null) parts.push(`limit ${formatBytes(policy.monthlyLimitBytes)}`);
  if (policy.manualBlock) parts.push('manual block');
  if (policy.blockWindow) parts.push(`window ${policy.blockWindow.start}-${policy.blockWindow.end}`);
  if (policy.blockedApps.length > 0) parts.push(`apps ${policy.blockedApps.join(',')}`);
  if (policy.zeroRatedApps.length > 0) parts.push(`free ${policy.zeroRatedApps.join(',')}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** The effective policy with the level each value comes from: "limit 2.00 GiB (member), window 2300-0600 (family)". */
export function describeEffective(
  policy: MemberPolicy,
  sources: Readonly<Record<PolicyKey, 'MEMBER' | 'FAMILY' | 'GLOBAL' | null>>,
): string {
  const from = (key: PolicyKey) => ` (${(sources[key] ?? '').toLowerCase()})`;
  const parts: string[] = [];
  if (policy.monthlyLimitBytes !== null)
    parts.push(`limit ${formatBytes(policy.monthlyLimitBytes)}${from('LIMIT:DATA:MONTHLY')}`);
  if (policy.manualBlock) parts.push(`manual block${from('BLOCK:ACCESS')}`);
  if (policy.blockWindow)
    parts.push(`window ${policy.blockWindow.start}-${policy.blockWindow.end}${from('BLOCK:TIME')}`);
  if (policy.blockedApps.length > 0) parts.push(`apps ${policy.blockedApps.join(',')}${from('BLOCK:APP')}`);
  if (policy.zeroRatedApps.length > 0)
    parts.push(`free ${policy.zeroRatedApps.join(',')}${from('ZERO_RATE:APP')}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
