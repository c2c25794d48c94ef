import type { MskEvent } from '../functions/core/kafka-record';
import { SimulatedTopic } from '../local/kafka/esm-simulator';
import { EventSourceMapping, type KafkaBatchResponse } from '../local/kafka/event-source-mapping';
import type { GeneratedEvent } from '../local/workload/generate';
import { FairSource } from './fair-source';
import { percentile } from './stats';

export interface OpenLoopSpec {
  readonly rate: number;
  readonly seconds: number;
  readonly events: ReadonlyArray<GeneratedEvent>;
  readonly partitions: number;
  readonly batchSize: number;
  /** Concurrent invocations, each owning every n-th partition (Lambda runs one per partition at most). */
  readonly pollers: number;
  /** How long the backlog may take to clear after the producer stops before the run is called behind. */
  readonly drainGraceSeconds: number;
}

/**
 * One invocation of the usage-events handler: its answer, and the decision
 * latency of each event it settled, exactly the values it emitted as
 * DecisionLatencyMs (timeDecisions: Kafka record timestamp to the ledger's
 * commit answer).
 */
export type DecisionTimedInvoker = (
  event: MskEvent,
) => Promise<{ readonly response: KafkaBatchResponse; readonly decisionLatencyMs: ReadonlyArray<number> }>;

export interface OpenLoopOutcome {
  readonly offered: number;
  readonly processed: number;
  readonly producingSeconds: number;
  readonly drainSeconds: number;
  readonly invocations: number;
  readonly meanBatch: number;
  /** Records produced and not yet committed by the consumers, sampled every second. */
  readonly lag: ReadonlyArray<{ readonly t: number; readonly records: number }>;
  /**
   * The promise's measure: each settled event's Kafka timestamp (the moment
   * it was produced) to the commit answer, as the handler reported it.
   */
  readonly decisionLatencyMs: Percentiles;
  /** Every settled event's decision latency (ms), for figures pooled over steps. */
  readonly decisionSamples: ReadonlyArray<number>;
  /** Record timestamp to the end of the invocation that processed it, every record (duplicates and rejections too). */
  readonly recordLatencyMs: Percentiles;
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

export function percentiles(values: ReadonlyArray<number>): Percentiles {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length > 0 ? values.reduce((a, b) => Math.max(a, b)) : Number.NaN,
    count: values.length,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK_MS = 5;

/**
 * Offers `rate` records a second for `seconds` to a topic that is read at the
 * same time, whatever the consumers manage: a producer that does not wait for
 * them (open loop). Each record's Kafka timestamp is the moment it is
 * produced, so the handler's decision latency starts when the event exists.
 */
export async function runOpenLoop(
  spec: OpenLoopSpec,
  invokers: ReadonlyArray<DecisionTimedInvoker>,
): Promise<OpenLoopOutcome> {
  const topic = new SimulatedTopic('usage-events', spec.partitions);
  const total = Math.min(spec.events.length, Math.round(spec.rate * spec.seconds));
  const recordLatency: number[] = [];
  const decisionLatency: number[] = [];
  const sources = Array.from(
    { length: spec.pollers },
    (_, i) =>
      new FairSource(
        topic,
        Array.from({ length: spec.partitions }, (_, p) => p).filter((p) => p % spec.pollers === i),
      ),
  );
  const mappings = sources.map(
    (source, i) =>
      new EventSourceMapping(
        source,
        async (event) => {
          const invoke = invokers[i % invokers.length] as DecisionTimedInvoker;
          const { response, decisionLatencyMs } = await invoke(event);
          const now = Date.now();
          decisionLatency.push(...decisionLatencyMs);
          for (const records of Object.values(event.records))
            for (const r of records) recordLatency.push(now - r.timestamp);
          return response;
        },
        { batchSize: spec.batchSize },
      ),
  );
  const pending = () => sources.reduce((n, s) => n + s.pending(), 0);

  const started = Date.now();
  let next = 0;
  let producingDone = false;
  let stop = false;
  const lag: Array<{ t: number; records: number }> = [];
  const sampler = setInterval(
    () => lag.push({ t: Math.round((Date.now() - started) / 1000), records: pending() }),
    1_000,
  );

  const producer = (async () => {
    while (next < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * spec.rate));
      for (; next < due; next++) {
        const event = spec.events[next] as GeneratedEvent;
        topic.produce(event.key, event.value, Date.now());
      }
      await sleep(TICK_MS);
    }
    producingDone = true;
  })();
  let producedAt = 0;
  const consumers = mappings.map(async (mapping, i) => {
    const source = sources[i] as FairSource;
    while (!stop && !(producingDone && source.pending() === 0)) {
      const before = mapping.stats.invocations;
      const progressed = await mapping.pollOnce();
      // Nothing there yet: poll again shortly, as the mapping's poller would.
      if (mapping.stats.invocations === before) await sleep(2);
      else if (!progressed) await sleep(50);
    }
  });
  await producer;
  producedAt = Date.now();
  const deadline = setTimeout(() => {
    stop = true;
  }, spec.drainGraceSeconds * 1000);
  await Promise.all(consumers);
  clearTimeout(deadline);
  clearInterval(sampler);
  const ended = Date.now();
  const invocations = mappings.reduce((n, m) => n + m.stats.invocations, 0);
  const processed = mappings.reduce((n, m) => n + m.stats.recordsCommitted, 0);
  return {
    offered: total,
    processed,
    producingSeconds: (producedAt - started) / 1000,
    drainSeconds: (ended - producedAt) / 1000,
    invocations,
    meanBatch: invocations > 0 ? processed / invocations : 0,
    lag,
    decisionLatencyMs: percentiles(decisionLatency),
    decisionSamples: decisionLatency,
    recordLatencyMs: percentiles(recordLatency),
  };
}
