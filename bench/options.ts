import { UsageError } from '../cli/errors';
import { parseOptionArgs } from '../cli/option-parser';
import { W1 } from './w1';

/** baseline: the reference shape; product: the shipped handler; degraded: the same with its Redis breaker held open. */
export type Shape = 'baseline' | 'product' | 'degraded';

export const SHAPES: ReadonlyArray<Shape> = ['baseline', 'product', 'degraded'];

export interface BenchOptions {
  readonly events: number;
  readonly families: number;
  /** Events the baseline runs under AWS latency: a prefix of the workload. */
  readonly baselineEvents: number;
  readonly ddbLatencyMs: number;
  readonly redisLatencyMs: number;
  /** The shapes to run; all of them when null. */
  readonly only: ReadonlyArray<Shape> | null;
  readonly skipLocal: boolean;
  readonly skipColdStart: boolean;
  readonly coldStartRuns: number;
  /** Calls of the usage API's family usage on the product's ledger under AWS latency; 0 skips them. */
  readonly apiCalls: number;
  /** Output folder, relative to the repository root. */
  readonly outDir: string;
}

export const USAGE = `npm run bench -- [--workload w1|w2] [options]

W1 (the default): 1,000 families through the baseline and the product, locally
and with injected AWS latency, then bundle sizes and cold starts.
W2: 250,000 families; 'npm run bench -- --workload w2 --help' lists its options.

Options of W1:
  --events N             events in the workload (W1: ${W1.events})
  --families N           families (W1: ${W1.families})
  --baseline-events N    prefix of the workload the baseline runs under AWS latency (default 5000)
  --ddb-latency-ms MS    injected latency per DynamoDB request (default 10)
  --redis-latency-ms MS  injected latency per Redis round trip (default 0.5)
  --only SHAPES          comma-separated: baseline, product, degraded (default all)
  --skip-local           skip the runs without injected latency
  --skip-cold-start      skip bundling and module-init measurement
  --cold-start-runs N    fresh processes per handler (default 5)
  --api-calls N          usage API calls (family usage) on the product's ledger under AWS
                         latency, for their p50, p99 and read units (default 500; 0 skips)
  --out DIR              where w1.json and w1.svg go (default docs/bench)
  -h, --help             this text`;

/** A number option of either workload: at least `min`, or a one-line usage error naming it. */
export function number(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min) {
    throw new UsageError(`--${name} must be a number >= ${min}, got "${text}"`);
  }
  return value;
}

/**
 * `--workload w1|w2` (or `--workload=w2`) and the arguments without it: each
 * workload has its own options.
 */
export function chooseWorkload(argv: ReadonlyArray<string>): { workload: 'w1' | 'w2'; rest: string[] } {
  const rest: string[] = [];
  let workload: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--workload') {
      workload = argv[++i];
      if (workload === undefined) throw new UsageError('--workload needs a value: w1 or w2');
    } else if (arg.startsWith('--workload=')) {
      workload = arg.slice('--workload='.length);
    } else {
      rest.push(arg);
    }
  }
  if (workload !== undefined && workload !== 'w1' && workload !== 'w2') {
    throw new UsageError(`--workload must be w1 or w2, got "${workload}"`);
  }
  return { workload: workload ?? 'w1', rest };
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseOptionArgs(argv, {
    events: { type: 'string' },
    families: { type: 'string' },
    'baseline-events': { type: 'string' },
    'ddb-latency-ms': { type: 'string' },
    'redis-latency-ms': { type: 'string' },
    only: { type: 'string' },
    'skip-local': { type: 'boolean', default: false },
    'skip-cold-start': { type: 'boolean', default: false },
    'cold-start-runs': { type: 'string' },
    'api-calls': { type: 'string' },
    out: { type: 'string', default: 'docs/bench' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const only = values.only?.split(',').map((s) => s.trim()) ?? null;
  if (only?.some((s) => !SHAPES.includes(s as Shape))) {
    throw new UsageError(`--only takes ${SHAPES.join(', ')}, comma-separated, got "${values.only}"`);
  }
  const events = Math.floor(number('events', values.events, W1.events, 1));
  return {
    events,
    families: Math.floor(number('families', values.families, W1.families, 1)),
    baselineEvents: Math.min(
      events,
      Math.floor(number('baseline-events', values['baseline-events'], 5_000, 1)),
    ),
    ddbLatencyMs: number('ddb-latency-ms', values['ddb-latency-ms'], 10, 0),
    redisLatencyMs: number('redis-latency-ms', values['redis-latency-ms'], 0.5, 0),
    only: only as Shape[] | null,
    skipLocal: values['skip-local'],
    skipColdStart: values['skip-cold-start'],
    coldStartRuns: Math.floor(number('cold-start-runs', values['cold-start-runs'], 5, 1)),
    apiCalls: Math.floor(number('api-calls', values['api-calls'], 500, 0)),
    outDir: values.out,
  };
}
