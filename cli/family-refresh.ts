import type { ChangeOutcome } from '../functions/core/changes/apply-change';
import { POLICY_KEYS, type PolicyKey, type PolicyValue } from '../functions/core/changes/policy-keys';
import { type Family, type MemberPolicy, NO_POLICY } from '../functions/core/family';
import { applyChanges, type ChangeBody, operatorChanges } from './changes';
import type { CliContext } from './context';

export interface FamilyPutResult {
  readonly familyId: number;
  readonly created: boolean;
  readonly members: number;
  readonly quotaBytes: number;
  readonly previousQuotaBytes: number | null;
  /** Policy values that changed, as "customer:KEY". */
  readonly policiesChanged: ReadonlyArray<string>;
  readonly notifications: number;
  /** False when Redis could not be reached: the family's next event loads the change from the ledger. */
  readonly redisUpdated: boolean;
}

/** A member policy's value for one key, as a policy event would set it. */
export function policyValueOf(policy: MemberPolicy, key: PolicyKey): PolicyValue {
  switch (key) {
    case 'LIMIT:DATA:MONTHLY':
      return { key, limitBytes: policy.monthlyLimitBytes };
    case 'BLOCK:ACCESS':
      return { key, blocked: policy.manualBlock };
    case 'BLOCK:TIME':
      return { key, window: policy.blockWindow };
    case 'BLOCK:APP':
      return { key, apps: policy.blockedApps };
    case 'ZERO_RATE:APP':
      return { key, apps: policy.zeroRatedApps };
  }
}

const same = (a: PolicyValue, b: PolicyValue) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Puts a family as the file states it, through the same core the family and
 * policy events go through: a FAMILY_UPSERTED (quota and the complete member
 * list: members not in the file leave), then one policy change per member and
 * key whose value differs from the ledger's.
 */
export async function putFamily(ctx: CliContext, family: Family): Promise<FamilyPutResult> {
  const store = ctx.changeStore;
  const before = await store.readFamily(family.familyId, []);
  // One operatorChanges call: its versions rise in the order given, so the
  // member policies are newer than the upsert even within one millisecond.
  const bodies: ChangeBody[] = [
    {
      kind: 'family-upserted',
      familyId: family.familyId,
      name: family.name,
      quotaBytes: family.quotaBytes,
      members: family.members.map((m) => ({ customerId: m.customerId, role: m.role })),
    },
  ];
  const changed: string[] = [];
  for (const member of family.members) {
    const current = before.members.get(member.customerId);
    for (const key of POLICY_KEYS) {
      const wanted = policyValueOf(member.policy, key);
      const stored = policyValueOf(current?.active ? current.policy : NO_POLICY, key);
      if (same(wanted, stored)) continue;
      changed.push(`${member.customerId}:${key}`);
      bodies.push({
        kind: 'policy',
        target: { level: 'MEMBER', familyId: family.familyId, customerId: member.customerId },
        value: wanted,
      });
    }
  }
  const outcomes: ChangeOutcome[] = await applyChanges(
    ctx,
    operatorChanges(bodies, ctx.config.settlement.timeZone),
  );
  return {
    familyId: family.familyId,
    created: !before.exists,
    members: family.members.length,
    quotaBytes: family.quotaBytes,
    previousQuotaBytes: before.exists ? before.quotaBytes : null,
    policiesChanged: changed,
    notifications: outcomes.reduce((n, o) => n + (o.kind === 'applied' ? o.outbox.length : 0), 0),
    redisUpdated: outcomes.every((o) => o.kind !== 'applied' || o.redisUpdated),
  };
}
