import type { Context } from 'aws-lambda';
import { applyChange } from '../../functions/core/changes/apply-change';
import { versionOf } from '../../functions/core/changes/version';
import type { MskEvent } from '../../functions/core/kafka-record';
import { SimulatedEventSourceMapping } from '../../local/kafka/esm-simulator';
import { localContext, startDeliveryLoop } from '../../local/outbox/delivery-loop';
import { openTableStream } from '../../local/outbox/stream-reader';
import { seededRandom } from '../../local/workload/random';
import type { CrashPoint } from './crash-switch';
import { chaosFunctions } from './functions';
import { redisChaos } from './redis-chaos';
import { hasRedisOutages, type Scenario } from './scenarios';
import { type Stoppers, startChaosServices } from './services';
import { produceWorkload } from './workload';

export interface WorldOptions {
  readonly dynamodbEndpoint: string;
  readonly events: number;
  readonly families: number;
  readonly partitions: number;
  readonly batchSize: number;
  readonly seed: number;
}

/**
 * One chaos run: fresh services, the real handlers wired as they ship with
 * the scenario's faults in front of their adapters, a generated workload on
 * simulated topics, and the MSK and stream event source mappings simulated
 * as in `npm start`, driven until every record is consumed.
 */
export async function runWorld(scenario: Scenario, options: WorldOptions) {
  const random = seededRandom(options.seed);
  const faults = {
    crashes: 0,
    dynamo: 0,
    redis: 0,
    eventBridge: 0,
    duplicates: 0,
    outboxCrashes: 0,
    memberRemovals: 0,
    lateChanges: 0,
  };
  const stoppers: Stoppers = [];
  try {
    const services = await startChaosServices(scenario, options.dynamodbEndpoint, random, stoppers, () => {
      faults.dynamo++;
    });
    const { bus, redisServer, admin } = services;
    const chaos = redisChaos({
      scenario,
      server: redisServer,
      admin,
      random,
      breaker: () => fns.breaker,
      onFault: () => {
        faults.redis++;
      },
    });
    const fns = chaosFunctions(services, () => chaos);
    const work = await produceWorkload(scenario, options, services, random);
    faults.lateChanges = work.lateChanges;

    const outboxErrors: unknown[] = [];
    const delivery = await startOutboxDelivery(
      services,
      fns,
      scenario,
      random,
      faults,
      stoppers,
      outboxErrors,
    );

    // Members leave a third into the run, and Redis does not follow: its states still list them.
    const removeMembers = async () => {
      const ledgerOnly = {
        ...fns.changes,
        cache: {
          applyChange: async () => {
            throw new Error('Redis did not follow');
          },
        },
      };
      const leaving = work.families
        .filter((f) => f.members.length > 1)
        .slice(0, scenario.memberRemovals ?? 0);
      for (const family of leaving) {
        const customerId = (family.members[1] as { customerId: number }).customerId;
        const timestampMs = Date.now();
        const eventId = `leave-${family.familyId}-${customerId}`;
        const outcome = await applyChange(
          {
            kind: 'member-left',
            eventId,
            eventType: 'MEMBER_LEFT',
            timestampMs,
            version: versionOf(timestampMs, eventId),
            familyId: family.familyId,
            customerId,
          },
          ledgerOnly,
        );
        if (outcome.kind !== 'applied') throw new Error(`${eventId} was not applied: ${outcome.kind}`);
        faults.memberRemovals++;
      }
    };

    // Changes go a small batch at a time between usage batches, so they land all through the run.
    const invokeChanges = async (event: MskEvent) => {
      const plan = scenario.changeEvents;
      const crash =
        plan?.crashProbability && random.chance(plan.crashProbability)
          ? { point: 'before-change-redis' as CrashPoint, countdown: 1 }
          : null;
      const response = await fns.changeSwitch.run(crash, () =>
        fns.changeEvents(event, localContext('change-events', 300_000)),
      );
      if (plan?.redeliveryProbability && random.chance(plan.redeliveryProbability)) {
        faults.duplicates++;
        await fns.changeEvents(event, localContext('change-events', 300_000));
      }
      return response;
    };
    const changeMappings = Object.values(work.changeTopics).map(
      (t) =>
        new SimulatedEventSourceMapping(t, invokeChanges, {
          batchSize: 3,
          maxAttemptsWithoutProgress: 200,
          retryDelayMs: 10,
        }),
    );

    let mapping: SimulatedEventSourceMapping;
    let invocations = 0;
    let removed = false;
    let toppedUp = false;
    const invoke = async (event: MskEvent) => {
      if (!toppedUp && work.topups.length > 0 && mapping.consumed() >= (work.topic.size() * 2) / 3) {
        toppedUp = true;
        for (const c of work.topups) work.changeTopics[c.topic].produce(c.key, c.value);
        // Bought now, applied now: the rest of the usage is decided against the larger pools.
        for (const m of changeMappings) await m.drain();
      }
      for (const m of changeMappings) if (m.lag() > 0) await m.pollOnce();
      if (!removed && (scenario.memberRemovals ?? 0) > 0 && mapping.consumed() >= work.topic.size() / 3) {
        removed = true;
        await removeMembers();
      }
      const point =
        scenario.crash && random.chance(scenario.crash.probability)
          ? random.pick(scenario.crash.points)
          : null;
      const crash = point && {
        point,
        countdown:
          point === 'before-returning' ? 1 : random.int(1, Math.max(1, Math.floor(options.batchSize / 4))),
      };
      invocations++;
      // The first fault is certain, so even a short run exercises it: on the second invocation (Redis holds
      // data by then), or for an outage scenario before the first batches start (the second, when the
      // first fault only copied the data).
      const forced = hasRedisOutages(scenario)
        ? chaos.kills === 0 && invocations <= 2
        : invocations === 2 && faults.redis === 0;
      if (scenario.redis && forced) await chaos.fault().catch(() => undefined);
      else if (scenario.redis && random.chance(scenario.redis.probability)) {
        setTimeout(() => void chaos.fault().catch(() => undefined), random.int(0, 30));
      }
      const response = await fns.usageSwitch.run(crash, async () => {
        const result = await fns.usageEvents(event, localContext('usage-events', 300_000));
        await fns.usageSwitch.at('before-returning');
        return result;
      });
      if (scenario.duplicates && random.chance(scenario.duplicates.batchProbability)) {
        faults.duplicates++;
        await fns.usageEvents(event, localContext('usage-events', 300_000));
      }
      if (scenario.duplicates && random.chance(scenario.duplicates.replayProbability)) {
        faults.duplicates++;
        const partition = random.int(0, options.partitions - 1);
        mapping.rewind(
          partition,
          mapping.committedOffset(partition) - random.int(1, scenario.duplicates.replayDepth),
        );
      }
      return response;
    };
    mapping = new SimulatedEventSourceMapping(work.topic, invoke, {
      batchSize: options.batchSize,
      maxAttemptsWithoutProgress: 200,
      retryDelayMs: 10,
    });

    const started = Date.now();
    const outageAt = Math.floor(work.topic.size() / 3);
    let outageStarted = false;
    await mapping.drain((consumed) => {
      if (scenario.eventBridge?.outageMs && !outageStarted && consumed >= outageAt) {
        outageStarted = true;
        faults.eventBridge++;
        void bus
          .goDown('unavailable')
          .then(() => setTimeout(() => void bus.comeBack(), scenario.eventBridge?.outageMs));
      }
    });
    for (const m of changeMappings) await m.drain();
    await chaos.settle();
    const settleSeconds = (Date.now() - started) / 1000;
    if (scenario.eventBridge?.outageMs && !outageStarted) {
      faults.eventBridge++;
      await bus.goDown('unavailable');
      await new Promise((r) => setTimeout(r, scenario.eventBridge?.outageMs));
      await bus.comeBack();
    }
    bus.clearFailures();
    for (const id of work.failingIds) {
      const item = await fns.outboxStore.get(id);
      if (item && item.attempts > 0) faults.eventBridge++;
    }
    faults.crashes = fns.usageSwitch.crashes + fns.changeSwitch.crashes;

    return {
      scenario,
      faults,
      topic: work.topic,
      kinds: work.kinds,
      familyIds: work.familyIds,
      nowMs: work.nowMs,
      settleSeconds,
      mapping,
      bus,
      queue: { endpoint: services.sqsServer.address, url: services.queueUrl },
      doc: services.plainDoc,
      tables: services.tables,
      cache: fns.cache,
      redis: admin,
      ledger: fns.ledger,
      outboxStore: fns.outboxStore,
      outboxErrors,
      outboxCrashes: () => fns.outboxSwitch.crashes,
      delivery,
      families: work.families,
      appliedChanges: fns.appliedChanges,
      changeTopics: work.changeTopics,
      config: services.config,
      stop: async () => {
        for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
        stoppers.length = 0;
      },
    };
  } catch (error) {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

/** The outbox table's stream and the sweeper's schedule, with the scenario's bus throttling and publisher crashes. */
async function startOutboxDelivery(
  services: Awaited<ReturnType<typeof startChaosServices>>,
  fns: ReturnType<typeof chaosFunctions>,
  scenario: Scenario,
  random: ReturnType<typeof seededRandom>,
  faults: { eventBridge: number; outboxCrashes: number },
  stoppers: Stoppers,
  errors: unknown[],
) {
  const { bus } = services;
  const plan = () => {
    if (
      scenario.eventBridge?.throttleProbability &&
      random.chance(scenario.eventBridge.throttleProbability)
    ) {
      faults.eventBridge++;
      bus.throttle(1);
    }
    const probability = scenario.outboxCrashProbability ?? 0;
    // Until the first crash has happened, every invocation plans one, so even a short run exercises it.
    if (probability === 0 || (fns.outboxSwitch.crashes > 0 && !random.chance(probability))) return null;
    faults.outboxCrashes++;
    return {
      point: 'after-publish' as CrashPoint,
      countdown: fns.outboxSwitch.crashes === 0 ? 1 : random.int(1, 3),
    };
  };
  const crashable =
    <E, R>(handler: (event: E, context: Context) => Promise<R>) =>
    (event: E, context: Context) =>
      fns.outboxSwitch.run(plan(), () => handler(event, context));
  const stream = await openTableStream({
    endpoint: services.config.endpoints.dynamodb ?? '',
    client: services.client,
    tableName: services.tables.outbox,
  });
  stoppers.push(async () => stream.close());
  const delivery = startDeliveryLoop({
    stream,
    relay: crashable(fns.relay),
    sweeper: crashable(fns.sweeper),
    pollMs: 50,
    sweepEveryMs: 1_000,
    onError: (error) => errors.push(error),
  });
  stoppers.push(() => delivery.stop());
  return delivery;
}

export type World = Awaited<ReturnType<typeof runWorld>>;
