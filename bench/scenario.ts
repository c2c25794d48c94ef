import { SCRIPT_FILES } from '../functions/adapters/redis/settlement-scripts';
import { SimulatedEventSourceMapping, SimulatedTopic } from '../local/kafka/esm-simulator';
import type { GeneratedEvent, WorkloadFamily } from '../local/workload/generate';
import { createInvoker } from './handlers';
import { deadLetterCount, type LedgerTotals, readLedgerTotals } from './ledger-totals';
import type { Shape } from './options';
import type { RedisTraffic } from './redis-latency-proxy';
import type { Mode, RunResult } from './results';
import { type Latency, openRunStores, type RunStores } from './run-stores';
import type { SharedServices } from './services';
import { mean, percentile } from './stats';
import { W1_DELIVERY } from './w1';

export interface ScenarioSpec {
  readonly shape: Shape;
  readonly mode: Mode;
  readonly events: ReadonlyArray<GeneratedEvent>;
  readonly prefix: boolean;
  readonly families: ReadonlyArray<WorkloadFamily>;
  readonly latency: Latency;
  readonly nowMs: number;
}

interface Invocation {
  readonly records: number;
  readonly ms: number;
  readonly roundTrips: number;
  readonly traffic: RedisTraffic;
}

/** Period states loaded from the ledger (one per family and period a batch first sees). */
const HYDRATE_SCRIPT = SCRIPT_FILES.hydratePeriod;
/** The command that fills a family's member set from the ledger (a membership cache miss). */
const MEMBER_FILL = 'SADD';

/** Cache fills from the ledger in one invocation: family state, member sets, negative membership entries. */
const hydrationsOf = (t: RedisTraffic) =>
  (t.scripts[HYDRATE_SCRIPT] ?? 0) + (t.byName[MEMBER_FILL] ?? 0) + t.nonMemberEntries;
/** Target: Redis round trips per batch <= 3 plus hydrations. */
const ROUND_TRIP_BUDGET = 3;

/**
 * One run: fresh stores, the workload produced to a simulated 8-partition
 * topic, drained by the simulated event source mapping (batches of 1,000)
 * invoking the handler; then the meters are read and the ledger checked.
 */
export async function runScenario(
  shared: SharedServices,
  spec: ScenarioSpec,
  progress: (line: string) => void,
  /** Runs on the run's stores once it is measured, before they are stopped. */
  afterRun?: (stores: RunStores) => Promise<void>,
): Promise<{ result: RunResult; totals: LedgerTotals }> {
  const label = `${spec.shape}-${spec.mode}-${Date.now().toString(36)}`;
  const stores = await openRunStores(shared, label, spec.latency, spec.families);
  try {
    const invoke = createInvoker(spec.shape, stores);
    const topic = new SimulatedTopic(W1_DELIVERY.topic, W1_DELIVERY.partitions);
    for (const e of spec.events) topic.produce(e.key, e.value, spec.nowMs);

    const invocations: Invocation[] = [];
    const mapping = new SimulatedEventSourceMapping(
      topic,
      async (event) => {
        stores.proxy.take();
        stores.redisWrites.take();
        const started = performance.now();
        const response = await invoke(event);
        invocations.push({
          records: Object.values(event.records).reduce((n, r) => n + r.length, 0),
          ms: performance.now() - started,
          roundTrips: stores.redisWrites.take(),
          traffic: stores.proxy.take(),
        });
        return response;
      },
      { batchSize: W1_DELIVERY.batchSize },
    );
    const started = performance.now();
    let lastReport = started;
    await mapping.drain((consumed) => {
      const now = performance.now();
      if (now - lastReport < 5_000) return;
      lastReport = now;
      progress(`${consumed}/${topic.size()} events, ${((now - started) / 1000).toFixed(0)} s`);
    });
    const seconds = (performance.now() - started) / 1000;

    const meter = stores.meter.read();
    const billing = await stores.meter.billing.total(shared.admin);
    const totals = await readLedgerTotals(shared.adminDoc, stores.tables);
    const rejected = await deadLetterCount(shared.sqs.address, stores.queueUrl);
    const events = spec.events.length;
    const settled = Math.max(totals.settled, 1);
    const hydrations = invocations.map((i) => hydrationsOf(i.traffic));
    const scriptCalls: Record<string, number> = {};
    for (const { traffic } of invocations) {
      for (const [script, n] of Object.entries(traffic.scripts))
        scriptCalls[script] = (scriptCalls[script] ?? 0) + n;
    }
    const batches = Math.max(invocations.length, 1);
    const result: RunResult = {
      shape: spec.shape,
      mode: spec.mode,
      events,
      prefix: spec.prefix,
      seconds,
      eventsPerSecond: events / seconds,
      invocations: mapping.stats.invocations,
      failedInvocations: mapping.stats.failedInvocations,
      redeliveredRecords: mapping.stats.redeliveredRecords,
      batchLatencyMs: {
        p50: percentile(
          invocations.map((i) => i.ms),
          50,
        ),
        p99: percentile(
          invocations.map((i) => i.ms),
          99,
        ),
        max: Math.max(...invocations.map((i) => i.ms)),
      },
      outcome: {
        settled: totals.settled,
        rejected,
        duplicates: events - totals.settled - rejected,
        notificationsStaged: totals.notificationsStaged,
        familiesCrossing: totals.familiesCrossing,
        familiesRunningOut: totals.familiesRunningOut,
      },
      dynamodb: {
        requests: meter.totalRequests,
        byOperation: meter.requests,
        requestsPerEvent: meter.totalRequests / events,
        cancelledTransactions: meter.cancelledTransactions,
        failedRequests: meter.failedRequests,
        wcuBilling: billing.wcu,
        wcuLocal: meter.consumedWcuLocal,
        wcuPerSettledBilling: billing.wcu / settled,
        wcuPerSettledLocal: meter.consumedWcuLocal / settled,
        wcuPerEventBilling: billing.wcu / events,
        rcuBilling: meter.rcuBilling,
        rcuPerEventBilling: meter.rcuBilling / events,
        rcuPerEventLocal: meter.consumedRcuLocal / events,
        indexWcuPerSettled: billing.indexWcu / settled,
        droppedIndexWcuPerSettled: billing.droppedIndexWcu / settled,
        readBackKeys: billing.readBackKeys,
        latencyMs: {
          configured: spec.latency.dynamodbMs,
          realisedMean: meter.injectedMeanMs,
          serviceMean: meter.serviceMeanMs,
        },
      },
      batches: invocations.map((i, n) => ({
        records: i.records,
        ms: i.ms,
        redisRoundTrips: i.roundTrips,
        redisChunks: i.traffic.chunks,
        redisCommands: i.traffic.commands,
        redisCommandsByName: i.traffic.byName,
        hydrations: hydrations[n] ?? 0,
        familyHydrations: i.traffic.scripts[HYDRATE_SCRIPT] ?? 0,
        memberSetFills: i.traffic.byName[MEMBER_FILL] ?? 0,
        nonMemberEntries: i.traffic.nonMemberEntries,
      })),
      redis: {
        roundTripsPerBatch: {
          mean: mean(invocations.map((i) => i.roundTrips)),
          max: Math.max(...invocations.map((i) => i.roundTrips)),
        },
        commandsPerBatch: mean(invocations.map((i) => i.traffic.commands)),
        hydrationsPerBatch: mean(hydrations),
        scriptCallsPerBatch: Object.fromEntries(
          Object.entries(scriptCalls).map(([script, n]) => [script, n / batches]),
        ),
        batchesOverRoundTripBudget: invocations.filter(
          (i, n) => i.roundTrips > ROUND_TRIP_BUDGET + (hydrations[n] ?? 0),
        ).length,
        batchesOverCountingFamilyHydrationsOnly: invocations.filter(
          (i) => i.roundTrips > ROUND_TRIP_BUDGET + (i.traffic.scripts[HYDRATE_SCRIPT] ?? 0),
        ).length,
        latencyMs: { configured: spec.latency.redisMs, realisedMean: stores.proxy.realisedMeanMs() },
      },
    };
    await afterRun?.(stores);
    return { result, totals };
  } finally {
    await stores.stop();
  }
}
