import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MskEvent } from '../functions/core/kafka-record';
import { SimulatedEventSourceMapping, SimulatedTopic } from '../local/kafka/esm-simulator';
import type { GeneratedEvent } from '../local/workload/generate';
import type { CpuProfiler } from './cpu-profile';
import { createInvoker } from './handlers';
import { deadLetterCount } from './ledger-totals';
import { type Percentiles, percentiles, runOpenLoop } from './open-loop';
import type { Shape } from './options';
import { CpuMeter, type RunCpu } from './process-cpu';
import { RedisMemory } from './redis-memory';
import { type Latency, openRunStores, type RunStores } from './run-stores';
import type { SharedServices } from './services';
import type { SnapshotFigures } from './snapshot-sink';
import type { ArchiverFigures, StreamFunctionProcess } from './stream-function-process';
import { TimedLedger } from './timed-ledger';
import { W2_DELIVERY } from './w2';
import { warmCache } from './warm-cache';
import type { ItemKindSizes } from './write-billing';

export interface W2Tables {
  readonly ledger: string;
  readonly outbox: string;
}

/** What a W2 run measured; the same figures for a closed-loop (A/B) run and an open-loop step. */
export interface W2RunFigures {
  readonly shape: Shape;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly invocations: number;
  readonly batchMs: Percentiles;
  readonly settled: number;
  readonly rejectedFromState: number;
  readonly deadLetters: number;
  readonly dynamodb: {
    readonly requests: number;
    readonly byOperation: Record<string, number>;
    readonly requestsPerEvent: number;
    readonly transactionsPerBatch: number;
    readonly cancelledTransactions: number;
    readonly wcuBilling: number;
    /** Table writes per event (billing model), indexes apart. */
    readonly wcuPerEvent: number;
    readonly wcuPerSettled: number;
    /** Index writes per event, estimated from the items and the indexes' projections. */
    readonly indexWcuPerEvent: number;
    /** Table and index writes per event: what a million events cost in write units. */
    readonly wcuWithIndexesPerEvent: number;
    /** What the dropped settlements index (GSI1) would add per event: the write units dropping it saves. */
    readonly droppedIndexWcuPerEvent: number;
    /** Read units per event as AWS bills them (bench/read-billing.ts): ledger checks and state loads. */
    readonly rcuPerEvent: number;
    readonly injectedMeanMs: number;
  };
  /** DynamoDB items the run wrote, by kind (bench/write-billing.ts). */
  readonly items: Record<string, ItemKindSizes>;
  readonly hydrations: number;
  /** Period states put into Redis before the run (a warm cache); 0 for a cold one. */
  readonly warmedStates: number;
  readonly redis: {
    readonly usedBytesBefore: number;
    readonly usedBytesAfter: number;
    /** (used_memory after - before) / events of the run. */
    readonly bytesPerEvent: number;
    readonly settledMarks: { readonly count: number; readonly meanBytes: number };
    readonly periodStates: { readonly count: number; readonly meanBytes: number };
  };
  /** CPU of the processes sharing the machine over the run: what binds when the cores are full. */
  readonly cpu: RunCpu;
}

/** A run's stores on the shared seeded tables; the figures every run reports once it is done. */
async function withRunStores<T>(
  shared: SharedServices,
  tables: W2Tables,
  label: string,
  latency: Latency,
  body: (stores: RunStores, memory: RedisMemory) => Promise<T>,
): Promise<T> {
  const stores = await openRunStores(shared, label, latency, { shared: tables });
  const memory = RedisMemory.open(stores.redisEndpoint);
  try {
    return await body(stores, memory);
  } finally {
    memory.close();
    await stores.stop();
  }
}

async function figures(
  shared: SharedServices,
  stores: RunStores,
  memory: RedisMemory,
  run: {
    shape: Shape;
    events: number;
    seconds: number;
    batchMs: number[];
    usedBefore: number;
    warmedStates: number;
    cpu: RunCpu;
  },
  timed: ReadonlyArray<TimedLedger>,
): Promise<W2RunFigures> {
  const meter = stores.meter.read();
  const billing = await stores.meter.billing.total(shared.admin);
  const after = await memory.read();
  const marks = await memory.keyBytes('*:settled:*');
  const states = await memory.keyBytes('*:period:*');
  const traffic = stores.proxy.take();
  const settled = timed.reduce((n, t) => n + t.settled, 0);
  const transactions = meter.requests.TransactWriteItems ?? 0;
  const invocations = Math.max(run.batchMs.length, 1);
  return {
    shape: run.shape,
    events: run.events,
    seconds: run.seconds,
    eventsPerSecond: run.events / run.seconds,
    invocations: run.batchMs.length,
    batchMs: percentiles(run.batchMs),
    settled,
    rejectedFromState: timed.reduce((n, t) => n + t.rejectedFromState, 0),
    deadLetters: await deadLetterCount(shared.sqs.address, stores.queueUrl),
    dynamodb: {
      requests: meter.totalRequests,
      byOperation: meter.requests,
      requestsPerEvent: meter.totalRequests / run.events,
      transactionsPerBatch: transactions / invocations,
      cancelledTransactions: meter.cancelledTransactions,
      wcuBilling: billing.wcu,
      wcuPerEvent: billing.wcu / run.events,
      wcuPerSettled: billing.wcu / Math.max(settled, 1),
      indexWcuPerEvent: billing.indexWcu / run.events,
      wcuWithIndexesPerEvent: (billing.wcu + billing.indexWcu) / run.events,
      droppedIndexWcuPerEvent: billing.droppedIndexWcu / run.events,
      rcuPerEvent: meter.rcuBilling / run.events,
      injectedMeanMs: meter.injectedMeanMs,
    },
    items: billing.items,
    hydrations: traffic.scripts['hydrate-period'] ?? 0,
    warmedStates: run.warmedStates,
    redis: {
      usedBytesBefore: run.usedBefore,
      usedBytesAfter: after.usedBytes,
      bytesPerEvent: (after.usedBytes - run.usedBefore) / run.events,
      settledMarks: { count: marks.count, meanBytes: marks.meanBytes },
      periodStates: { count: states.count, meanBytes: states.meanBytes },
    },
    cpu: run.cpu,
  };
}

/**
 * Closed loop, as W1: the slice is on the topic before the run starts and one
 * poller drains it, batches of 1,000 over 8 partitions. Gives events/s.
 */
export function closedLoopRun(
  shared: SharedServices,
  tables: W2Tables,
  spec: {
    shape: Shape;
    events: ReadonlyArray<GeneratedEvent>;
    latency: Latency;
    label: string;
    warm: boolean;
  },
  progress: (line: string) => void,
): Promise<W2RunFigures> {
  return withRunStores(shared, tables, spec.label, spec.latency, async (stores, memory) => {
    const timed: TimedLedger[] = [];
    const invoke = createInvoker(spec.shape, stores, (ledger) => {
      const t = new TimedLedger(ledger);
      timed.push(t);
      return t;
    });
    const warmedStates = spec.warm ? await warmCache(shared.adminDoc, stores, spec.events) : 0;
    const usedBefore = (await memory.read()).usedBytes;
    stores.proxy.take();
    const topic = new SimulatedTopic('usage-events', W2_DELIVERY.partitions);
    const now = Date.now();
    for (const e of spec.events) topic.produce(e.key, e.value, now);
    const batchMs: number[] = [];
    const mapping = new SimulatedEventSourceMapping(
      topic,
      async (event) => {
        const t0 = performance.now();
        const response = await invoke(event);
        batchMs.push(performance.now() - t0);
        return response;
      },
      { batchSize: W2_DELIVERY.batchSize },
    );
    const cpu = CpuMeter.start(cpuPids(shared, stores));
    const started = performance.now();
    let last = started;
    await mapping.drain((consumed) => {
      if (performance.now() - last < 10_000) return;
      last = performance.now();
      progress(`${consumed}/${topic.size()} events, ${((last - started) / 1000).toFixed(0)} s`);
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = cpu.stop(spec.events.length);
    const run = { shape: spec.shape, events: spec.events.length, seconds, batchMs, usedBefore, warmedStates };
    return figures(shared, stores, memory, { ...run, cpu: cpuUsed }, timed);
  });
}

export interface OpenLoopFigures extends W2RunFigures {
  readonly offeredRate: number;
  readonly offered: number;
  readonly pollers: number;
  readonly processed: number;
  readonly keptUp: boolean;
  readonly drainSeconds: number;
  readonly meanBatch: number;
  readonly lag: ReadonlyArray<{ readonly t: number; readonly records: number }>;
  /** Kafka record timestamp to the commit answer, each settled event: DecisionLatencyMs as the handler emits it. */
  readonly decisionLatencyMs: Percentiles;
  /** Kafka record timestamp to the end of the invocation that processed it (every record). */
  readonly recordLatencyMs: Percentiles;
  /** The live usage snapshots of the step; null when they were off. */
  readonly snapshots: SnapshotFigures | null;
  /** The settlement archiver on the ledger stream, in every step as it is on AWS; null in runs without it. */
  readonly archiver: ArchiverFigures | null;
  /**
   * How late the bench process's event loop ran timers (perf_hooks, 5 ms
   * resolution, so about 5 ms when idle): every handler shares that loop here,
   * where each Lambda invocation would have its own.
   */
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** Open loop: the product offered `rate` events/s, with per-event decision latency. */
export function openLoopRun(
  shared: SharedServices,
  tables: W2Tables,
  spec: {
    rate: number;
    seconds: number;
    pollers: number;
    events: ReadonlyArray<GeneratedEvent>;
    latency: Latency;
    label: string;
    warm: boolean;
    /** Epoch ms: the records are produced from then on (see QUIET in w2-run.ts). */
    startNotBefore: number;
    /** Profiles the bench process while records are offered and drained. */
    profiler?: CpuProfiler | undefined;
    /**
     * The live usage snapshots on: usage-snapshots, in a process of its own, reads the ledger's stream during the step.
     * The stream functions' processes are the caller's: it ends them, whatever happens to the step.
     */
    snapshots?: StreamFunctionProcess<'usage-snapshots'> | null;
    /** The settlement archiver, in a process of its own, reads the ledger's stream during the step. */
    archiver?: StreamFunctionProcess<'settlement-archiver'> | null;
    /** Receives every decision latency of the step (ms), for figures pooled over steps. */
    decisions?: number[];
  },
): Promise<OpenLoopFigures> {
  return withRunStores(shared, tables, spec.label, spec.latency, async (stores, memory) => {
    const timed: TimedLedger[] = [];
    const batchMs: number[] = [];
    // One handler per poller, like one Lambda container per concurrent invocation: each runs one batch at a time.
    const invokers = Array.from({ length: spec.pollers }, () => {
      let reported: ReadonlyArray<number> = [];
      const invoke = createInvoker(
        'product',
        stores,
        (ledger) => {
          const t = new TimedLedger(ledger);
          timed.push(t);
          return t;
        },
        (latencies) => {
          reported = latencies;
        },
      );
      return async (event: MskEvent) => {
        reported = [];
        const t0 = performance.now();
        const response = await invoke(event);
        batchMs.push(performance.now() - t0);
        return { response, decisionLatencyMs: reported };
      };
    });
    const warmedStates = spec.warm ? await warmCache(shared.adminDoc, stores, spec.events) : 0;
    const snapshotting = spec.snapshots ?? null;
    const archiving = spec.archiver ?? null;
    // Armed before the quiet margin: moving their readers past what earlier steps wrote is not the step's work.
    await Promise.all([snapshotting?.arm(), archiving?.arm()]);
    await new Promise((r) => setTimeout(r, Math.max(0, spec.startNotBefore - Date.now())));
    const usedBefore = (await memory.read()).usedBytes;
    stores.proxy.take();
    await spec.profiler?.start();
    snapshotting?.begin();
    archiving?.begin();
    const cpu = CpuMeter.start(cpuPids(shared, stores));
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const outcome = await runOpenLoop(
      {
        rate: spec.rate,
        seconds: spec.seconds,
        events: spec.events,
        partitions: W2_DELIVERY.partitions,
        batchSize: W2_DELIVERY.batchSize,
        pollers: spec.pollers,
        drainGraceSeconds: Math.max(10, spec.seconds),
      },
      invokers,
    );
    // What the stream still holds is published before the step ends: its work is the step's.
    const [snapshots, archiver] = await Promise.all([
      snapshotting ? snapshotting.finish() : null,
      archiving ? archiving.finish() : null,
    ]);
    for (const ms of outcome.decisionSamples) spec.decisions?.push(ms);
    loopDelay.disable();
    const cpuUsed = cpu.stop(outcome.processed);
    await spec.profiler?.stop();
    const seconds = outcome.producingSeconds + outcome.drainSeconds;
    const run = {
      shape: 'product' as const,
      events: outcome.processed,
      seconds,
      batchMs,
      usedBefore,
      warmedStates,
    };
    const base = await figures(shared, stores, memory, { ...run, cpu: cpuUsed }, timed);
    return {
      ...base,
      offeredRate: spec.rate,
      offered: outcome.offered,
      pollers: spec.pollers,
      processed: outcome.processed,
      // A backlog still there a second after the producer stops is growing, not a batch in flight.
      keptUp: outcome.processed === outcome.offered && outcome.drainSeconds <= 1,
      drainSeconds: outcome.drainSeconds,
      meanBatch: outcome.meanBatch,
      lag: outcome.lag,
      decisionLatencyMs: outcome.decisionLatencyMs,
      recordLatencyMs: outcome.recordLatencyMs,
      snapshots,
      archiver,
      eventLoopDelayMs: {
        p50: loopDelay.percentile(50) / 1e6,
        p99: loopDelay.percentile(99) / 1e6,
        max: loopDelay.max / 1e6,
      },
    };
  });
}

const cpuPids = (shared: SharedServices, stores: RunStores) => ({
  dynamodbLocal: shared.dynamodb.pid,
  redisServer: stores.redisPid,
});
