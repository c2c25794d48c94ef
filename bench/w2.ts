import { UsageError } from '../cli/errors';
import { parseOptionArgs } from '../cli/option-parser';
import { generateWorkload, type Workload, type WorkloadOptions } from '../local/workload/generate';
import { number } from './options';
import { W1 } from './w1';

/**
 * W2, the reference scale: 250,000 families of 4 members (1,000,000
 * members), 3% duplicate redeliveries, 1% malformed records, W1's quota and
 * policy mix. Activity is Zipf-skewed with s = 0.8, not W1's 1.1: over
 * 250,000 families s = 1.1 would give the busiest family about 8% of all
 * events (some 400 events/s from four phones at 5,000/s); with 0.8 it gets
 * under 2%, and a batch of 1,000 touches hundreds of families.
 */
const { events: _w1Events, ...W1_SHAPE } = W1;

/** W1's quota, policy and traffic mix at the reference scale, with a flatter Zipf (see above). */
export const W2: Omit<WorkloadOptions, 'nowMs' | 'events'> = {
  ...W1_SHAPE,
  seed: 2,
  families: 250_000,
  zipfS: 0.8,
};

export const W2_DELIVERY = { partitions: 8, batchSize: 1_000 } as const;

export interface W2Options {
  readonly families: number;
  /** A/B rounds: baseline then product, each on its own slice of the stream. */
  readonly rounds: number;
  /** W1's A/B rounds run first in the same invocation, for a side-by-side headline (0: none). */
  readonly w1Rounds: number;
  readonly productEvents: number;
  readonly baselineEvents: number;
  /** Offered rates of the open-loop test, events/s. */
  readonly rates: ReadonlyArray<number>;
  readonly rateSeconds: number;
  readonly pollers: number;
  /** Period states of the families a run touches put into Redis before it starts (steady state), or not (a month's first hour). */
  readonly warmCache: boolean;
  readonly seedConcurrency: number;
  readonly ddbLatencyMs: number;
  readonly redisLatencyMs: number;
  readonly outDir: string;
  /** Writes a V8 CPU profile of the bench process for each open-loop step. */
  readonly cpuProf: boolean;
  /** Each open-loop rate with the live usage snapshots off, on, or both one after the other. */
  readonly snapshots: ReadonlyArray<'off' | 'on'>;
  /** Injected latency per produce request of the snapshots (a produce to MSK). */
  readonly snapshotLatencyMs: number;
  /** Seconds of an unmeasured open-loop step at the first rate before the measured ones (0: none). */
  readonly warmUpSeconds: number;
}

export const W2_USAGE = `npm run bench -- --workload w2 [options]
  --families N           families, 4 members each (W2: 250000; fewer writes w2-scaled.*)
  --rounds N             interleaved A/B rounds, baseline then product (default 3)
  --w1-rounds N          W1's A/B rounds first, same settings, on W1's 1,000 families (default 3; 0: none)
  --product-events N     events per product round (default 10000)
  --baseline-events N    events per baseline round (default 1000)
  --rates R1,R2,...      open-loop offered rates, events/s (default 250,500,1000; none: --rates 0)
  --rate-seconds S       seconds each rate is offered (default 30)
  --pollers N            concurrent invocations in the open-loop test (default 8: one per partition)
  --cache warm|cold      warm (default): every run starts with its families' period states in Redis,
                         as in steady state; cold: each family's first event loads it from the ledger
  --seed-concurrency N   BatchWriteItem requests in flight while seeding (default 16)
  --ddb-latency-ms MS    injected latency per DynamoDB request (default 10)
  --redis-latency-ms MS  injected latency per Redis round trip (default 0.5)
  --out DIR              where w2.json and w2.svg go (default docs/bench)
  --cpu-prof             profile the bench process in each open-loop step: w2-open-<rate>.cpuprofile
                         in --out, and the top 15 functions by self time
  --snapshots off|on|both  the open-loop steps without the live usage snapshots (default), with them
                         (usage-snapshots, in a process of its own, reading the ledger stream during
                         the step), or both at each rate, off then on (on then off when the rate is
                         given again), printing decision p99 of each setting pooled over its steps
  --snapshot-latency-ms MS  injected latency per produce request of the snapshots (default 5)
  --warm-up S            an open-loop step of S seconds at the first rate, snapshots off, before the
                         measured steps and left out of the figures (default 0: none)
  -h, --help             this text`;

export function parseW2Options(argv: string[]): W2Options | 'help' {
  const names = [
    'families',
    'rounds',
    'w1-rounds',
    'product-events',
    'baseline-events',
    'rates',
    'rate-seconds',
    'pollers',
    'cache',
    'seed-concurrency',
    'ddb-latency-ms',
    'redis-latency-ms',
    'out',
    'snapshots',
    'snapshot-latency-ms',
    'warm-up',
  ];
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    'cpu-prof': { type: 'boolean' },
  };
  for (const name of names) options[name] = { type: 'string' };
  const { values } = parseOptionArgs(argv, options);
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) return 'help';
  const text = (name: string) => v[name] as string | undefined;
  const rates = (text('rates') ?? '250,500,1000')
    .split(',')
    .map((r) => number('rates', r.trim(), 0, 0))
    .filter((r) => r > 0);
  const cache = text('cache') ?? 'warm';
  if (cache !== 'warm' && cache !== 'cold')
    throw new UsageError(`--cache must be warm or cold, got "${cache}"`);
  const snapshots = text('snapshots') ?? 'off';
  if (snapshots !== 'off' && snapshots !== 'on' && snapshots !== 'both') {
    throw new UsageError(`--snapshots must be off, on or both, got "${snapshots}"`);
  }
  return {
    families: Math.floor(number('families', text('families'), W2.families, 100)),
    rounds: Math.floor(number('rounds', text('rounds'), 3, 0)),
    w1Rounds: Math.floor(number('w1-rounds', text('w1-rounds'), 3, 0)),
    productEvents: Math.floor(number('product-events', text('product-events'), 10_000, 1)),
    baselineEvents: Math.floor(number('baseline-events', text('baseline-events'), 1_000, 1)),
    rates,
    rateSeconds: number('rate-seconds', text('rate-seconds'), 30, 1),
    pollers: Math.floor(number('pollers', text('pollers'), W2_DELIVERY.partitions, 1)),
    warmCache: cache === 'warm',
    seedConcurrency: Math.floor(number('seed-concurrency', text('seed-concurrency'), 16, 1)),
    ddbLatencyMs: number('ddb-latency-ms', text('ddb-latency-ms'), 10, 0),
    redisLatencyMs: number('redis-latency-ms', text('redis-latency-ms'), 0.5, 0),
    outDir: text('out') ?? 'docs/bench',
    cpuProf: v['cpu-prof'] === true,
    snapshots: snapshots === 'both' ? ['off', 'on'] : [snapshots],
    snapshotLatencyMs: number('snapshot-latency-ms', text('snapshot-latency-ms'), 5, 0),
    warmUpSeconds: number('warm-up', text('warm-up'), 0, 0),
  };
}

/** Events the whole run needs: every A/B slice and every open-loop step has events of its own. */
export function eventsNeeded(o: W2Options): number {
  const openLoop =
    o.snapshots.length * o.rates.reduce((n, rate) => n + Math.ceil(rate * o.rateSeconds), 0) +
    Math.ceil((o.rates[0] ?? 0) * o.warmUpSeconds);
  return o.rounds * (o.productEvents + o.baselineEvents) + openLoop;
}

export function w2Workload(o: W2Options, nowMs: number): Workload {
  return generateWorkload({ ...W2, families: o.families, events: eventsNeeded(o), nowMs });
}
