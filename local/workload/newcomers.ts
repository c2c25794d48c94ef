import type { GeneratedChangeEvent } from './change-events';
import type { GeneratedEvent, WorkloadFamily } from './generate';
import type { Random } from './random';

const MiB = 1024 * 1024;

/**
 * Members who join while usage flows, the carrier's app way: the parent adds
 * a member and at once sets its monthly limit. The two go out on different
 * topics, so the limit may arrive first; it is published first here. Each
 * newcomer also uses data all through the run, before and after it joins.
 */
export function generateNewcomers(
  random: Random,
  families: ReadonlyArray<WorkloadFamily>,
  count: number,
  options: { readonly nowMs: number; readonly seed: number; readonly usagePerNewcomer: number },
): { readonly changes: GeneratedChangeEvent[]; readonly usage: GeneratedEvent[] } {
  const changes: GeneratedChangeEvent[] = [];
  const usage: GeneratedEvent[] = [];
  for (let n = 0; n < count; n++) {
    const family = random.pick(families);
    const customerId = family.familyId * 100 + 90 + n;
    const joinedAtMs = options.nowMs - 60_000 + n * 1_000;
    const key = String(family.familyId);
    const limitBytes = random.int(20, 60) * MiB;
    changes.push({
      topic: 'policy-updated',
      key,
      kind: 'policy',
      late: false,
      value: JSON.stringify({
        eventId: `new-${options.seed}-${n}-limit`,
        eventType: 'POLICY_UPDATED',
        timestamp: new Date(joinedAtMs + 500).toISOString(),
        payload: {
          familyId: family.familyId,
          targetCustomerId: customerId,
          policyKey: 'LIMIT:DATA:MONTHLY',
          newValue: String(limitBytes),
          isActive: true,
        },
      }),
    });
    changes.push({
      topic: 'family-updated',
      key,
      kind: 'family',
      late: false,
      value: JSON.stringify({
        eventId: `new-${options.seed}-${n}-join`,
        eventType: 'MEMBER_JOINED',
        timestamp: new Date(joinedAtMs).toISOString(),
        payload: { familyId: family.familyId, customerId },
      }),
    });
    for (let u = 0; u < options.usagePerNewcomer; u++) {
      usage.push({
        key,
        kind: 'usage',
        value: JSON.stringify({
          eventId: `new-${options.seed}-${n}-use-${u}`,
          eventType: 'DATA_USAGE',
          timestamp: new Date(options.nowMs - 120_000 + u).toISOString(),
          payload: { familyId: family.familyId, customerId, bytesUsed: random.int(2, 12) * MiB },
        }),
      });
    }
  }
  return { changes, usage };
}
