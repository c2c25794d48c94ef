import type { CliContext } from './context';
import { OperationError } from './errors';

export interface MembershipChange {
  readonly kind: 'member-joined' | 'member-left';
  readonly familyId: number;
  readonly customerId: number;
}

/**
 * An operator's join of a member or leave of a non-member is a mistake (the
 * wrong family or customer), yet the core would commit it as a versioned
 * change with a history entry. It is refused here, from the ledger's member
 * list, before anything is written.
 */
export async function refuseUnchangedMembership(ctx: CliContext, change: MembershipChange): Promise<void> {
  const { familyId, customerId } = change;
  const family = await ctx.changeStore.readFamily(familyId, []);
  if (!family.exists) throw new OperationError(`family ${familyId} does not exist`);
  const member = family.members.get(customerId);
  if (change.kind === 'member-left' && !member?.active) {
    throw new OperationError(`customer ${customerId} is not a member of family ${familyId}: nothing changed`);
  }
  if (change.kind === 'member-joined' && member?.active) {
    throw new OperationError(
      `customer ${customerId} is already a member of family ${familyId} (${member.role}): nothing changed` +
        " ('family put' changes a member's role)",
    );
  }
}
