import type { ConfigPlan } from '../../functions/core/config/plan-change';
import type { ConfigStore } from '../../functions/core/config/ports';
import type { OutboxItem } from '../../functions/core/outbox';

export interface CommittedChange {
  readonly plan: ConfigPlan;
  readonly outbox: ReadonlyArray<OutboxItem>;
}

/**
 * A config store that reports every change the ledger committed, in commit
 * order: also one whose answer was lost after it went through (an error
 * carrying `committed: true`, as the chaos suite's ambiguous commit throws).
 */
export function recordingConfigStore(
  store: ConfigStore,
  onCommitted: (change: CommittedChange) => void,
): ConfigStore {
  return {
    readFamily: (familyId, periods) => store.readFamily(familyId, periods),
    readGlobal: () => store.readGlobal(),
    globalRevisions: (after, upTo) => store.globalRevisions(after, upTo),
    async commit(plan, outbox, nowMs) {
      try {
        const committed = await store.commit(plan, outbox, nowMs);
        if (committed) onCommitted({ plan, outbox });
        return committed;
      } catch (error) {
        if ((error as { committed?: unknown }).committed === true) onCommitted({ plan, outbox });
        throw error;
      }
    },
  };
}
