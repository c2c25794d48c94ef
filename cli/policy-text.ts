import type { MemberPolicy } from '../functions/core/family';
import { formatBytes } from './output';

/** A policy in one short phrase: "limit 2.00 GB, manual block, window 2300-0600, apps com.a,com.b". */
export function describePolicy(policy: MemberPolicy): string {
  const parts: string[] = [];
  if (policy.monthlyLimitBytes !== null) parts.push(`limit ${formatBytes(policy.monthlyLimitBytes)}`);
  if (policy.manualBlock) parts.push('manual block');
  if (policy.blockWindow) parts.push(`window ${policy.blockWindow.start}-${policy.blockWindow.end}`);
  if (policy.blockedApps.length > 0) parts.push(`apps ${policy.blockedApps.join(',')}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
