import type { ChangePlan } from '../../functions/core/changes/plan-change';
import type { ChangeStore } from '../../functions/core/changes/ports';
import type { OutboxItem } from '../../functions/core/outbox/item';

export interface CommittedChange {
  readonly plan: ChangePlan;
  readonly outbox: ReadonlyArray<OutboxItem>;
  /** When it was planned and committed: its current period is this instant's. */
  readonly nowMs: number;
}

/**
 * A change store that reports every change the ledger committed, in commit
 * order: also one whose answer was lost after it went through (an error
 * carrying `committed: true`, as the chaos suite's ambiguous commit throws).
 */
export function recordingChangeStore(
  store: ChangeStore,
  onCommitted: (change: CommittedChange) => void,
): ChangeStore {
  return {
    readFamily: (familyId, periods) => store.readFamily(familyId, periods),
    readGlobal: () => store.readGlobal(),
    readTopup: (topupId) => store.readTopup(topupId),
    globalRevisions: (after, upTo) => store.globalRevisions(after, upTo),
    async commit(plan, outbox, nowMs) {
      try {
        const committed = await store.commit(plan, outbox, nowMs);
        if (committed) onCommitted({ plan, outbox, nowMs });
        return committed;
      } catch (error) {
        if ((error as { committed?: unknown }).committed === true) onCommitted({ plan, outbox, nowMs });
        throw error;
      }
    },
  };
}
