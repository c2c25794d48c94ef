import { OUTBOX_STATUS } from '../../functions/core/outbox/item';
import { countOutbox } from '../../local/summary';
import { checkInvariants, type Verdict } from './invariants';
import type { Scenario } from './scenarios';
import { runWorld, type WorldOptions } from './world';

export interface ChaosResult extends Verdict {
  readonly scenario: string;
  readonly events: number;
  readonly faultsInjected: number;
  readonly seconds: number;
  readonly outboxErrors: number;
}

/** Runs one scenario to quiescence (every event consumed, the outbox drained) and checks the invariants. */
export async function runScenario(
  scenario: Scenario,
  options: WorldOptions & { outboxTimeoutMs: number },
): Promise<ChaosResult> {
  const started = Date.now();
  const world = await runWorld(scenario, options);
  try {
    const deadline = Date.now() + options.outboxTimeoutMs;
    while (Date.now() < deadline && (await countOutbox(world.outboxStore, OUTBOX_STATUS.pending)) > 0) {
      await new Promise((r) => setTimeout(r, 250));
    }
    await world.delivery.stop();
    const verdict = await checkInvariants(world);
    const f = world.faults;
    return {
      ...verdict,
      scenario: scenario.name,
      events: world.topic.size(),
      faultsInjected:
        f.crashes +
        f.dynamo +
        f.redis +
        f.eventBridge +
        f.duplicates +
        f.memberRemovals +
        f.lateChanges +
        world.outboxCrashes(),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      outboxErrors: world.outboxErrors.length,
    };
  } finally {
    await world.stop();
  }
}
