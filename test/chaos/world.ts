import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { startFauxqs } from 'fauxqs';
import { Redis } from 'ioredis';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoConfigStore } from '../../functions/adapters/dynamodb/config-store';
import { createTables } from '../../functions/adapters/dynamodb/create-tables';
import { FamilyStore } from '../../functions/adapters/dynamodb/family-store';
import { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import { MemoryUsageCache } from '../../functions/adapters/memory/memory-usage-cache';
import { createRedisClient } from '../../functions/adapters/redis/client';
import { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import { createSqsClient } from '../../functions/adapters/sqs/client';
import { SqsDeadLetterQueue } from '../../functions/adapters/sqs/dead-letter-queue';
import { createConfigEventsHandler } from '../../functions/config-events/config-events-handler';
import { createConfigDeps } from '../../functions/config-events/dependencies';
import type { ConfigBatchDeps } from '../../functions/core/config/apply-batch';
import { applyConfigChange } from '../../functions/core/config/apply-change';
import type { ConfigCache } from '../../functions/core/config/ports';
import { versionOf } from '../../functions/core/config/version';
import { TransientError } from '../../functions/core/errors';
import { notificationIdFor } from '../../functions/core/outbox';
import { noGlobalPolicy, systemClock } from '../../functions/core/ports';
import { RedisBreaker } from '../../functions/core/redis-breaker';
import type { SettlementDeps } from '../../functions/core/settle-batch';
import { createOutboxRelayHandler } from '../../functions/outbox-relay/outbox-relay-handler';
import { createOutboxSweeperHandler } from '../../functions/outbox-sweeper/outbox-sweeper-handler';
import { loadConfig } from '../../functions/runtime/config';
import { ENV } from '../../functions/runtime/env';
import { createObservability } from '../../functions/runtime/observability';
import { createOutboxDeps } from '../../functions/runtime/outbox-dependencies';
import { settlementSettings, usageCacheSettings } from '../../functions/usage-events/dependencies';
import { createUsageEventsHandler } from '../../functions/usage-events/usage-events-handler';
import { SimulatedEventSourceMapping, SimulatedTopic } from '../../local/kafka/esm-simulator';
import { localContext, startDeliveryLoop } from '../../local/outbox/delivery-loop';
import { openTableStream } from '../../local/outbox/stream-reader';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';
import { RestartableRedis } from '../../local/services/redis-server';
import { generateConfigEvents } from '../../local/workload/config-events';
import { DEMO_WORKLOAD, generateWorkload } from '../../local/workload/generate';
import { generateNewcomers } from '../../local/workload/newcomers';
import { seededRandom } from '../../local/workload/random';
import { startPutEventsFake } from '../helpers/put-events-fake';
import { recordingConfigStore } from '../helpers/recording-config-store';
import { behindSwitch, type CrashPoint, CrashSwitch } from './crash-switch';
import { type AppliedChange, appliedChangeOf } from './decision-oracle';
import { injectDynamoFaults } from './dynamodb-faults';
import { hasRedisOutages, type OutagePoint, type RedisFault, type Scenario } from './scenarios';

export interface WorldOptions {
  readonly dynamodbEndpoint: string;
  readonly events: number;
  readonly families: number;
  readonly partitions: number;
  readonly batchSize: number;
  readonly seed: number;
}

const silent = { warn: () => {}, error: () => {} };

const pick = <T>(items: ReadonlyArray<T>, random: ReturnType<typeof seededRandom>): T => random.pick(items);

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/**
 * One chaos run: fresh tables, a private Redis (it may be flushed), an SQS
 * emulator, a PutEvents fake, and the real handlers built with adapters that
 * the scenario's faults sit in front of. The MSK and stream event source
 * mappings are simulated as in `npm start`.
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
    lateConfigEvents: 0,
  };
  const stoppers: Array<() => Promise<unknown>> = [];
  try {
    const suffix = `${Date.now().toString(36)}${random.int(0, 1e6)}`;
    const tables = { ledger: `chaos-ledger-${suffix}`, outbox: `chaos-outbox-${suffix}` };
    const client = new DynamoDBClient({
      endpoint: options.dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    stoppers.push(async () => client.destroy());
    await createTables(client, tables);

    const redisServer = await RestartableRedis.start();
    stoppers.push(() => redisServer.stop());
    const sqsServer = await startFauxqs({ port: 0, logger: false });
    stoppers.push(() => sqsServer.stop());
    const { queueUrl } = sqsServer.createQueue('chaos-dlq');
    const bus = await startPutEventsFake();
    stoppers.push(() => bus.stop());

    const config = loadConfig({
      [ENV.ledgerTable]: tables.ledger,
      [ENV.outboxTable]: tables.outbox,
      [ENV.dynamodbEndpoint]: options.dynamodbEndpoint,
      [ENV.sqsEndpoint]: sqsServer.address,
      [ENV.eventBridgeEndpoint]: bus.endpoint,
      [ENV.deadLetterQueueUrl]: queueUrl,
      [ENV.redisUrl]: redisServer.endpoint,
      [ENV.retryBaseDelayMs]: '5',
      [ENV.retryMaxAttempts]: '4',
      [ENV.redisBreakerFailures]: '2',
      [ENV.redisBreakerCooldownSeconds]: '1',
      [ENV.outboxGraceSeconds]: '1',
      [ENV.outboxLeaseSeconds]: '2',
      [ENV.outboxBackoffBaseSeconds]: '1',
      [ENV.outboxBackoffCapSeconds]: '4',
      [ENV.outboxMaxAttempts]: '12',
      ...scenario.config,
    });

    const redis = createRedisClient({ url: redisServer.endpoint, cluster: false });
    const admin = new Redis(redisServer.endpoint, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
    stoppers.push(async () => {
      redis.disconnect();
      admin.disconnect();
    });
    const doc = createDocumentClient({ endpoint: options.dynamodbEndpoint, region: LOCAL_REGION });
    if (scenario.dynamo) {
      const kinds = scenario.dynamo.faults;
      for (const kind of kinds) {
        injectDynamoFaults(
          doc,
          kind,
          scenario.dynamo.probability / kinds.length,
          random,
          () => faults.dynamo++,
        );
      }
    }
    const cache = new RedisUsageCache(redis, usageCacheSettings(config));
    const ledger = new DynamoLedger(doc, tables, {
      retry: settlementSettings(config).retry,
      concurrency: config.processing.familyConcurrency,
    });

    // Redis outages: the server is killed (its data is gone) and comes back after a moment, empty, with an
    // older copy of its data (a replica that lagged, promoted), or several times in a row (flapping).
    const outageTasks: Array<Promise<unknown>> = [];
    let olderCopy: Array<[string, Buffer]> | null = null;
    let kills = 0;
    const breaker = new RedisBreaker(config.processing.redisBreaker, systemClock);
    const copyOfEverything = async () => {
      const keys = await scanKeys(admin, '*');
      const dumps = await Promise.all(keys.map((k) => admin.dumpBuffer(k)));
      return keys.flatMap((k, i) => (dumps[i] ? [[k, dumps[i] as Buffer] as [string, Buffer]] : []));
    };
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const outage = async (kind: RedisFault) => {
      if (!redisServer.running) return;
      faults.redis++;
      if (kind === 'outage-stale' && olderCopy === null) {
        olderCopy = await copyOfEverything().catch(() => null);
        return;
      }
      const copy = kind === 'outage-stale' ? olderCopy : null;
      olderCopy = null;
      await redisServer.kill();
      const first = kills++ === 0;
      outageTasks.push(
        (async () => {
          // The first outage lasts until the breaker opened, so even a short run decides from the ledger alone.
          for (let waited = 0; first && !breaker.open && waited < 5_000; waited += 20) await pause(20);
          for (let flap = kind === 'flap' ? 3 : 0; flap > 0; flap--) {
            await pause(random.int(20, 120));
            await redisServer.restart();
            await pause(random.int(20, 120));
            await redisServer.kill();
          }
          const down = scenario.redis?.downMs ?? { min: 50, max: 400 };
          await pause(random.int(down.min, down.max));
          await redisServer.restart();
          if (copy) for (const [key, dump] of copy) await admin.restore(key, 0, dump, 'REPLACE');
        })().catch(() => undefined),
      );
    };
    // The first eligible call always fails over, so even a short run exercises it.
    let outagesAt = 0;
    const maybeOutageAt = async (point: OutagePoint) => {
      const plan = scenario.redis?.outageAt;
      if (!plan?.points.includes(point) || !redisServer.running) return;
      if (outagesAt > 0 && !random.chance(plan.probability)) return;
      outagesAt++;
      await outage('outage-empty');
    };
    // Invocations left in which every drop of a period state fails.
    let failingDropInvocations = 0;
    const cacheWithOutages: RedisUsageCache = new Proxy(cache, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (property === 'invalidate')
          return async (...args: unknown[]) => {
            if (failingDropInvocations > 0) {
              throw new TransientError('chaos: the drop did not reach Redis');
            }
            return value.apply(object, args);
          };
        if (property === 'hydrate')
          return async (...args: unknown[]) => {
            await maybeOutageAt('hydrate');
            return value.apply(object, args);
          };
        if (property === 'decideLane')
          return async (...args: unknown[]) => {
            const reply = await value.apply(object, args);
            await maybeOutageAt('decide');
            return reply;
          };
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });
    const ledgerWithOutages: DynamoLedger = new Proxy(ledger, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (property === 'commit')
          return async (...args: unknown[]) => {
            await maybeOutageAt('commit');
            return value.apply(object, args);
          };
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });

    // Every change the ledger commits, from the config-events function or a family taking a global change.
    const appliedChanges: AppliedChange[] = [];
    const changeStore = recordingConfigStore(new DynamoConfigStore(doc, tables), (c) =>
      appliedChanges.push(appliedChangeOf(c)),
    );
    const usageSwitch = new CrashSwitch();
    const deps: SettlementDeps = {
      ...(config.processing.degradedMode
        ? {
            degradation: {
              breaker,
              inMemory: () => new MemoryUsageCache(),
            },
          }
        : {}),
      cache: behindSwitch(cacheWithOutages, usageSwitch, {
        decideLane: { before: 'after-validation', after: 'after-script' },
        hydrate: { before: 'before-hydration' },
        confirm: { before: 'before-confirm' },
      }),
      ledger: behindSwitch(ledgerWithOutages, usageSwitch, {
        findFates: { before: 'before-ledger-check' },
        commit: { before: 'before-transaction', after: 'after-transaction' },
      }),
      globalPolicy: noGlobalPolicy,
      globalChanges: {
        store: changeStore,
        clock: systemClock,
        settings: {
          timeZone: config.settlement.timeZone,
          futureSkewMs: config.settlement.futureSkewMs,
          outboxGraceMs: config.outbox.graceMs,
        },
      },
      deadLetters: behindSwitch(
        new SqsDeadLetterQueue(createSqsClient({ endpoint: sqsServer.address }), queueUrl),
        usageSwitch,
      ),
      clock: systemClock,
      settings: settlementSettings(config),
      log: silent,
    };
    const usageEvents = createUsageEventsHandler(deps, createObservability('chaos-usage-events'));

    // Family and policy changes, through the config-events function; it can die after the ledger committed.
    const configSwitch = new CrashSwitch();
    const shipped = createConfigDeps(config, redis, silent);
    const configDeps: ConfigBatchDeps = {
      ...shipped,
      store: changeStore,
      cache: behindSwitch(cache as ConfigCache, configSwitch, {
        applyConfig: { before: 'before-config-redis' },
      }),
    };
    const configEvents = createConfigEventsHandler(configDeps, createObservability('chaos-config-events'));

    const outboxSwitch = new CrashSwitch();
    const outboxDeps = createOutboxDeps(config, silent);
    const guardedOutbox = {
      ...outboxDeps,
      store: behindSwitch(outboxDeps.store, outboxSwitch, { markSent: { before: 'after-publish' } }),
      publisher: behindSwitch(outboxDeps.publisher, outboxSwitch),
    };
    const relay = createOutboxRelayHandler(guardedOutbox, createObservability('chaos-relay'));
    const sweeper = createOutboxSweeperHandler(guardedOutbox, createObservability('chaos-sweeper'), {
      safetyMarginMs: 500,
    });
    const outboxPlan = () => {
      if (
        scenario.eventBridge?.throttleProbability &&
        random.chance(scenario.eventBridge.throttleProbability)
      ) {
        faults.eventBridge++;
        bus.throttle(1);
      }
      const probability = scenario.outboxCrashProbability ?? 0;
      // Until the first crash has happened, every invocation plans one, so even a short run exercises it.
      if (probability === 0 || (outboxSwitch.crashes > 0 && !random.chance(probability))) return null;
      faults.outboxCrashes++;
      return {
        point: 'after-publish' as CrashPoint,
        countdown: outboxSwitch.crashes === 0 ? 1 : random.int(1, 3),
      };
    };
    const crashableOutbox =
      <E, R>(handler: (event: E, context: Context) => Promise<R>) =>
      (event: E, context: Context) =>
        outboxSwitch.run(outboxPlan(), () => handler(event, context));

    const nowMs = Date.now();
    const workload = generateWorkload({
      ...DEMO_WORKLOAD,
      seed: options.seed,
      families: options.families,
      events: options.events,
      nowMs,
      previousPeriodShare: scenario.previousPeriodShare,
      olderPeriodShare: scenario.olderPeriodShare,
      ...(scenario.aheadShare
        ? { ahead: { share: scenario.aheadShare, aheadMs: config.settlement.futureSkewMs + 3_000 } }
        : {}),
    });
    const plainDoc = createDocumentClient({ endpoint: options.dynamodbEndpoint, region: LOCAL_REGION });
    const familyStore = new FamilyStore(plainDoc, tables.ledger, config.settlement);
    const familyIds: number[] = [];
    for (const family of workload.families) familyIds.push((await familyStore.putFamily(family)).familyId);

    const topic = new SimulatedTopic('usage-events', options.partitions);
    const configTopics = {
      'policy-updated': new SimulatedTopic('policy-updated', options.partitions),
      'family-updated': new SimulatedTopic('family-updated', options.partitions),
    };
    if (scenario.configEvents) {
      const { perUsageEvent, staleShare } = scenario.configEvents;
      const count = Math.max(1, Math.round(options.events * perUsageEvent));
      const generated = generateConfigEvents(seededRandom(options.seed + 7), workload.families, count, {
        nowMs,
        staleShare,
        seed: options.seed,
      });
      for (const c of generated) configTopics[c.topic].produce(c.key, c.value);
      faults.lateConfigEvents = generated.filter((c) => c.late).length;
    }
    const usageRecords = [...workload.events];
    if (scenario.configEvents?.newcomers) {
      const newcomers = generateNewcomers(
        seededRandom(options.seed + 11),
        workload.families,
        scenario.configEvents.newcomers,
        {
          nowMs,
          seed: options.seed,
          usagePerNewcomer: 6,
        },
      );
      for (const c of newcomers.changes) configTopics[c.topic].produce(c.key, c.value);
      // Spread through the stream, so a newcomer uses data before its join is applied and after.
      for (const e of newcomers.usage) usageRecords.splice(random.int(0, usageRecords.length), 0, e);
      faults.lateConfigEvents += newcomers.changes.length / 2;
    }
    const kinds = new Map<string, (typeof workload.events)[number]['kind']>();
    for (const e of usageRecords) {
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

    const stream = await openTableStream({
      endpoint: options.dynamodbEndpoint,
      client,
      tableName: tables.outbox,
    });
    stoppers.push(async () => stream.close());
    const outboxErrors: unknown[] = [];
    const delivery = startDeliveryLoop({
      stream,
      relay: crashableOutbox(relay),
      sweeper: crashableOutbox(
        sweeper as (event: Record<string, unknown>, context: Context) => Promise<unknown>,
      ),
      pollMs: 50,
      sweepEveryMs: 1_000,
      onError: (error) => outboxErrors.push(error),
    });
    stoppers.push(() => delivery.stop());

    const dropSome = async (pattern: string) => {
      const keys = await scanKeys(admin, pattern);
      const victims = keys.filter(() => random.chance(0.3));
      if (victims.length > 0) await admin.unlink(...victims);
    };
    // A replica's copy of every key, taken at one fault and put back (as a failover to it) at the next.
    let replica: Array<[string, Buffer]> | null = null;
    const staleReplica = async () => {
      if (replica === null) {
        const keys = await scanKeys(admin, '*');
        const dumps = await Promise.all(keys.map((k) => admin.dumpBuffer(k)));
        replica = keys.flatMap((k, i) => (dumps[i] ? [[k, dumps[i] as Buffer] as [string, Buffer]] : []));
        return;
      }
      const copy = replica;
      replica = null;
      await admin.flushall();
      for (const [key, dump] of copy) await admin.restore(key, 0, dump, 'REPLACE');
    };
    const redisFault = async () => {
      if ((scenario.redis?.faults ?? []).length === 0) return;
      const kind = pick(scenario.redis?.faults ?? [], random);
      if (kind === 'outage-empty' || kind === 'outage-stale' || kind === 'flap') return outage(kind);
      if (!redisServer.running) return;
      faults.redis++;
      if (kind === 'stale-replica') return staleReplica();
      if (kind === 'fail-drops') {
        failingDropInvocations = Number.POSITIVE_INFINITY;
        return;
      }
      if (kind === 'kill-connections') await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      else if (kind === 'flush-scripts') await admin.script('FLUSH');
      else if (kind === 'drop-period-states') await dropSome('*:period:*');
      else if (kind === 'drop-settled-marks') await dropSome('*:settled:*');
      else await admin.flushall();
    };

    // Members leave a third into the run, and Redis does not follow: its states still list them.
    const ledgerOnly: ConfigBatchDeps = {
      ...configDeps,
      cache: {
        applyConfig: async () => {
          throw new Error('Redis did not follow');
        },
      },
    };
    const removeMembers = async () => {
      const leaving = workload.families
        .filter((f) => f.members.length > 1)
        .slice(0, scenario.memberRemovals ?? 0);
      for (const family of leaving) {
        const customerId = (family.members[1] as { customerId: number }).customerId;
        const timestampMs = Date.now();
        const eventId = `leave-${family.familyId}-${customerId}`;
        const outcome = await applyConfigChange(
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

    let mapping: SimulatedEventSourceMapping;
    let plannedCrashes = 0;
    let invocations = 0;
    // Config events go a small batch at a time between usage batches, so changes land all through the run.
    const invokeConfig = async (event: Parameters<typeof configEvents>[0]) => {
      const cfg = scenario.configEvents;
      const crash =
        cfg?.crashProbability && random.chance(cfg.crashProbability)
          ? { point: 'before-config-redis' as CrashPoint, countdown: 1 }
          : null;
      const response = await configSwitch.run(crash, () =>
        configEvents(event, localContext('config-events', 300_000)),
      );
      if (cfg?.redeliveryProbability && random.chance(cfg.redeliveryProbability)) {
        faults.duplicates++;
        await configEvents(event, localContext('config-events', 300_000));
      }
      return response;
    };
    const configMappings = Object.values(configTopics).map(
      (t) =>
        new SimulatedEventSourceMapping(t, invokeConfig, {
          batchSize: 3,
          maxAttemptsWithoutProgress: 200,
          retryDelayMs: 10,
        }),
    );

    let removed = false;
    const invoke = async (event: Parameters<typeof usageEvents>[0]) => {
      for (const m of configMappings) if (m.lag() > 0) await m.pollOnce();
      if (!removed && (scenario.memberRemovals ?? 0) > 0 && mapping.consumed() >= topic.size() / 3) {
        removed = true;
        await removeMembers();
      }
      const point =
        scenario.crash && random.chance(scenario.crash.probability)
          ? pick(scenario.crash.points, random)
          : null;
      const crash = point && {
        point,
        countdown:
          point === 'before-returning' ? 1 : random.int(1, Math.max(1, Math.floor(options.batchSize / 4))),
      };
      if (crash) plannedCrashes++;
      invocations++;
      if (failingDropInvocations > 0) failingDropInvocations--;
      // The first fault is certain, so even a short run exercises it: on the second invocation (Redis holds
      // data by then), or for an outage scenario before the first batches start (the second, when the
      // first fault only copied the data).
      const forced = hasRedisOutages(scenario)
        ? kills === 0 && invocations <= 2
        : invocations === 2 && faults.redis === 0;
      if (scenario.redis && forced) await redisFault().catch(() => undefined);
      else if (scenario.redis && random.chance(scenario.redis.probability)) {
        setTimeout(() => void redisFault().catch(() => undefined), random.int(0, 30));
      }
      const response = await usageSwitch.run(crash, async () => {
        const result = await usageEvents(event, localContext('usage-events', 300_000));
        await usageSwitch.at('before-returning');
        return result;
      });
      if (scenario.duplicates && random.chance(scenario.duplicates.batchProbability)) {
        faults.duplicates++;
        await usageEvents(event, localContext('usage-events', 300_000));
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
    mapping = new SimulatedEventSourceMapping(topic, invoke, {
      batchSize: options.batchSize,
      maxAttemptsWithoutProgress: 200,
      retryDelayMs: 10,
    });

    const started = Date.now();
    const outageAt = Math.floor(topic.size() / 3);
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
    for (const m of configMappings) await m.drain();
    // Redis is back before the stores are compared.
    await Promise.all(outageTasks);
    await redisServer.restart();
    const settleSeconds = (Date.now() - started) / 1000;
    if (scenario.eventBridge?.outageMs && !outageStarted) {
      faults.eventBridge++;
      await bus.goDown('unavailable');
      await new Promise((r) => setTimeout(r, scenario.eventBridge?.outageMs));
      await bus.comeBack();
    }
    bus.clearFailures();
    for (const id of failingIds) {
      const item = await outboxDeps.store.get(id);
      if (item && item.attempts > 0) faults.eventBridge++;
    }
    faults.crashes = usageSwitch.crashes + configSwitch.crashes;
    if (process.env.CHAOS_DEBUG)
      console.error({ plannedCrashes, crashes: usageSwitch.crashes, invocations: mapping.stats });

    return {
      scenario,
      faults,
      topic,
      kinds,
      familyIds,
      nowMs,
      settleSeconds,
      mapping,
      bus,
      queue: { endpoint: sqsServer.address, url: queueUrl },
      doc: plainDoc,
      tables,
      cache,
      redis: admin,
      ledger,
      outboxStore: outboxDeps.store,
      outboxErrors,
      outboxCrashes: () => outboxSwitch.crashes,
      delivery,
      families: workload.families,
      appliedChanges,
      configTopics,
      config,
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

export type World = Awaited<ReturnType<typeof runWorld>>;
