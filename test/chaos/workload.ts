import { FamilyStore } from '../../functions/adapters/dynamodb/family-store';
import { notificationIdFor } from '../../functions/core/outbox/item';
import { SimulatedTopic } from '../../local/kafka/esm-simulator';
import { type GeneratedChangeEvent, generateChangeEvents } from '../../local/workload/change-events';
import { DEMO_WORKLOAD, type GeneratedEvent, generateWorkload } from '../../local/workload/generate';
import { generateNewcomers } from '../../local/workload/newcomers';
import { seededRandom } from '../../local/workload/random';
import { type ChaosRecord, withCorrections } from './corrections-workload';
import type { Scenario } from './scenarios';
import type { ChaosServices } from './services';
import type { WorldOptions } from './world';

/**
 * A chaos run's families, seeded into the ledger, and its records on the
 * simulated topics: usage (with the scenario's late, ahead and newcomers'
 * records), policy and family changes; and the notifications the bus fails
 * per entry for a while.
 */
export async function produceWorkload(
  scenario: Scenario,
  options: WorldOptions,
  services: ChaosServices,
  random: ReturnType<typeof seededRandom>,
) {
  const { config, plainDoc, tables, bus } = services;
  const nowMs = Date.now();
  const workload = generateWorkload({
    ...DEMO_WORKLOAD,
    seed: options.seed,
    families: options.families,
    events: options.events,
    nowMs,
    previousPeriodShare: scenario.previousPeriodShare,
    olderPeriodShare: scenario.olderPeriodShare,
    zeroRatedShare: scenario.zeroRatedShare,
    ...(scenario.runOutShare === undefined ? {} : { runOutShare: scenario.runOutShare }),
    ...(scenario.aheadShare
      ? { ahead: { share: scenario.aheadShare, aheadMs: config.settlement.futureSkewMs + 3_000 } }
      : {}),
  });
  const familyStore = new FamilyStore(plainDoc, tables.ledger, config.settlement);
  const familyIds: number[] = [];
  for (const family of workload.families) familyIds.push((await familyStore.putFamily(family)).familyId);

  const topic = new SimulatedTopic('usage-events', options.partitions);
  const changeTopics = {
    'policy-updated': new SimulatedTopic('policy-updated', options.partitions),
    'family-updated': new SimulatedTopic('family-updated', options.partitions),
  };
  let lateChanges = 0;
  const topups: GeneratedChangeEvent[] = [];
  const changes = scenario.changeEvents;
  if (changes) {
    const count = Math.max(1, Math.round(options.events * changes.perUsageEvent));
    const generated = generateChangeEvents(seededRandom(options.seed + 7), workload.families, count, {
      nowMs,
      staleShare: changes.staleShare,
      seed: options.seed,
      topupShare: changes.topupShare,
      zeroRating: changes.zeroRating,
    });
    // Top-ups are bought once families have run out: they are published two thirds into the usage.
    for (const c of generated) {
      if (c.kind === 'topup') topups.push(c);
      else changeTopics[c.topic].produce(c.key, c.value);
    }
    lateChanges = generated.filter((c) => c.late).length;
  }
  const usage: GeneratedEvent[] = [...workload.events];
  if (changes?.newcomers) {
    const newcomers = generateNewcomers(
      seededRandom(options.seed + 11),
      workload.families,
      changes.newcomers,
      {
        nowMs,
        seed: options.seed,
        usagePerNewcomer: 6,
      },
    );
    for (const c of newcomers.changes) changeTopics[c.topic].produce(c.key, c.value);
    // Spread through the stream, so a newcomer uses data before its join is applied and after.
    for (const e of newcomers.usage) usage.splice(random.int(0, usage.length), 0, e);
    lateChanges += newcomers.changes.length / 2;
  }
  const produced = scenario.correctionShare
    ? withCorrections(seededRandom(options.seed + 13), usage, scenario.correctionShare, nowMs)
    : usage;
  const kinds = new Map<string, ChaosRecord['kind']>();
  for (const e of produced) {
    const record = topic.produce(e.key, e.value, e.writtenAtMs ?? nowMs);
    kinds.set(`${record.partition}:${record.offset}`, e.kind);
  }

  let failingIds: string[] = [];
  if (scenario.eventBridge?.failingShare) {
    failingIds = workload.events
      .filter((e) => e.kind === 'usage' && random.chance(scenario.eventBridge?.failingShare ?? 0))
      .map((e) => notificationIdFor(String((JSON.parse(e.value ?? '{}') as { eventId: string }).eventId)));
    // Each fails a few times, fewer than OUTBOX_MAX_ATTEMPTS: every owed notification must still go out,
    // however long the run. Exhausting the attempts (FAILED, then requeue) is tested on its own.
    for (const id of failingIds) bus.failNotifications([id], 'ThrottlingException', random.int(1, 4));
  }
  return {
    nowMs,
    families: workload.families,
    familyIds,
    topic,
    changeTopics,
    kinds,
    lateChanges,
    topups,
    failingIds,
  };
}
