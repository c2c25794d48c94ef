import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../cli/errors';
import { type Period, periodOf } from '../functions/core/time';
import { REPO_ROOT } from '../lib/constructs/bundling';
import type { GeneratedEvent, Workload } from '../local/workload/generate';
import { chartCaption, renderChart } from './chart';
import { measureColdStart } from './cold-start';
import { compareTotals, type LedgerTotals } from './ledger-totals';
import { describeMachine, describeMachineLine, describeRevision } from './machine';
import { type BenchOptions, chooseWorkload, parseOptions, SHAPES, type Shape, USAGE } from './options';
import { formatReport, ON_DEMAND_PRICES, runLabel } from './report-table';
import type { BenchResults, ColdStartResult, Mode, RunResult } from './results';
import type { RunStores } from './run-stores';
import { runScenario } from './scenario';
import { startSharedServices, useLocalAwsEnvironment } from './services';
import { mean, round } from './stats';
import { checkTargets, findRun } from './targets';
import { measureUsageApiReads, type UsageApiReads } from './usage-api-reads';
import { isStandardW1, W1, W1_DELIVERY, w1Workload } from './w1';
import { runW2 } from './w2-run';

/**
 * `npm run bench`: W1 through (a) the baseline and (b) the real usage-events
 * handler, each on DynamoDB Local and Redis as they are and with injected
 * AWS-like latency; then bundle sizes and module-init times. Prints a table
 * and writes <out>/w1.json and <out>/w1.svg.
 */
const log = (line: string) => process.stderr.write(`${line}\n`);

/** No path of this machine goes into a result. */
const redact = (text: string) => text.split(REPO_ROOT).join('').split(tmpdir()).join('<tmp>');

async function main(): Promise<number> {
  const { workload: chosen, rest } = chooseWorkload(process.argv.slice(2));
  if (chosen === 'w2') {
    useLocalAwsEnvironment();
    return runW2(rest);
  }
  const parsed = parseOptions(rest);
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options: BenchOptions = parsed;
  useLocalAwsEnvironment();
  const machine = describeMachine();
  const revision = describeRevision();
  const loadSamples = [loadavg()[0] ?? 0];
  const sampler = setInterval(() => loadSamples.push(loadavg()[0] ?? 0), 5_000);
  sampler.unref();
  log(`machine: ${describeMachineLine(machine)}`);

  const nowMs = Date.now();
  const workload = w1Workload(options, nowMs);
  const shapes: ReadonlyArray<Shape> = options.only ?? SHAPES;
  const plan: Array<{ shape: Shape; mode: Mode }> = [];
  for (const mode of options.skipLocal ? (['aws'] as const) : (['local', 'aws'] as const)) {
    for (const shape of shapes) plan.push({ shape, mode });
  }

  const runs: RunResult[] = [];
  const totals = new Map<string, LedgerTotals>();
  let usageApi: UsageApiReads | null = null;
  const measureApi = async (stores: RunStores) => {
    log(`usage API: ${options.apiCalls} calls of family usage on the product's ledger`);
    usageApi = await measureUsageApiReads(
      stores,
      workload.families.map((f) => f.familyId),
      periodOfEvents(workload.events, stores.config.settlement.timeZone),
      { calls: options.apiCalls, dynamodbMs: options.ddbLatencyMs },
    );
  };
  const shared = await startSharedServices();
  try {
    for (const { shape, mode } of plan) {
      const prefix =
        shape === 'baseline' && mode === 'aws' && options.baselineEvents < workload.events.length;
      const events = prefix ? workload.events.slice(0, options.baselineEvents) : workload.events;
      const latency =
        mode === 'aws'
          ? { dynamodbMs: options.ddbLatencyMs, redisMs: options.redisLatencyMs }
          : { dynamodbMs: 0, redisMs: 0 };
      const name = `${shape} · ${mode === 'aws' ? 'AWS latency' : 'local'}`;
      log(`${name}: ${events.length} events${prefix ? ' (prefix of the workload)' : ''}`);
      const outcome = await runScenario(
        shared,
        {
          shape,
          mode,
          events,
          prefix,
          families: workload.families,
          latency,
          nowMs,
        },
        (line) => log(`  ${name}: ${line}`),
        shape === 'product' && mode === 'aws' && options.apiCalls > 0 ? measureApi : undefined,
      );
      runs.push(outcome.result);
      totals.set(`${shape}:${mode}`, outcome.totals);
      log(
        `  ${name}: ${round(outcome.result.eventsPerSecond, 0)} events/s, ${outcome.result.outcome.settled} settled, ` +
          `${outcome.result.outcome.rejected} rejected, ${outcome.result.failedInvocations} failed invocations`,
      );
    }
  } finally {
    await shared.stop();
  }

  clearInterval(sampler);
  let coldStart: ColdStartResult | { error: string } | null = null;
  if (!options.skipColdStart) {
    log('cold start: bundling and importing each handler in fresh processes');
    coldStart = await measureColdStart(options.coldStartRuns).catch((error: unknown) => ({
      error: redact(error instanceof Error ? error.message : String(error)),
    }));
  }

  const results: BenchResults = {
    workload: {
      name: isStandardW1(options) ? 'W1' : 'W1 (scaled down)',
      ...W1,
      events: options.events,
      families: options.families,
      delivery: W1_DELIVERY,
      baselineEventsWithLatency: Math.min(options.baselineEvents, options.events),
      injectedLatencyMs: {
        dynamodbPerRequest: options.ddbLatencyMs,
        redisPerRoundTrip: options.redisLatencyMs,
      },
    },
    machine,
    revision,
    loadAverage: {
      atStart: round(loadSamples[0] ?? 0, 2),
      mean: round(mean(loadSamples), 2),
      max: round(Math.max(...loadSamples), 2),
    },
    takenAt: new Date().toISOString(),
    workloadShape: workloadShape(runs, workload),
    runs: runs.map(roundRun),
    ratios: ratios(runs),
    sameTotals: sameTotals(runs, totals),
    // Degraded mode decides the same events as Redis does: the ledger must end the same.
    degradedSameTotals: sameTotals(runs, totals, 'product', 'degraded'),
    coldStart,
    usageApi,
    targets: checkTargets(runs, coldStart && 'bundles' in coldStart ? coldStart : null),
    notes: NOTES,
  };
  const prefixRun = runs.find((r) => r.prefix);
  const prefixNote = prefixRun
    ? `* ${runLabel(prefixRun)}: the first ${prefixRun.events.toLocaleString('en-US')} events of the workload ` +
      '(throughput is a rate, so a prefix is a fair sample; --baseline-events sets its length)'
    : null;
  process.stdout.write(`${formatReport(results, prefixNote)}\n`);

  const outDir = resolve(process.cwd(), options.outDir);
  mkdirSync(outDir, { recursive: true });
  const stem = isStandardW1(options) ? 'w1' : 'w1-scaled';
  writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, `${stem}.svg`), renderChart(runs, chartCaption(results)));
  log(`wrote ${options.outDir}/${stem}.json and ${options.outDir}/${stem}.svg`);
  return 0;
}

const NOTES = [
  'events/s = records delivered / wall time of the drain (all invocations, sequential as one event source mapping poller).',
  'WCU billing model (the figure the target is checked on): 2 x ceil(item size / 1 KB) per item of a committed transaction (1 x for standard writes); Put items by the size written, Update items by their size at the end of the run (an upper bound); cancelled transactions are not included. Index (GSI) writes are estimated separately.',
  "DynamoDB Local's own ConsumedCapacity is shown for reference only: it is not the AWS bill (it doubles transactional writes but does not add up a transaction's items; a transaction of ten 600-byte Puts reports 2 units where the per-item rule gives 20).",
  "With injected latency, DynamoDB Local's own answer time is added on top of the injected latency (means in the JSON, latencyMs.serviceMean).",
  "Redis round trips = socket writes of the handler's Redis client in one invocation: ioredis writes a pipeline (auto-pipelining groups the commands issued in one tick) or a lone command in one write, then waits for the replies.",
  'Hydrations = cache fills from the ledger in the invocation: hydrate-period script calls (family state), member-set fills (SADD, a membership cache miss) and negative membership entries (SET of a non-member key); each count is in the JSON per batch, and the check is also given counting hydrate-period calls only.',
  'RCU billing model: per item read, 1 unit per 4 KB (at least 1, also for a key not found) for strongly consistent GetItem and BatchGetItem, half for eventually consistent reads, 2 per 4 KB for TransactGetItems; Query by the total size returned. Per event = per record delivered.',
  'degraded = the shipped handler with its Redis breaker held open for the whole run: every batch decides from period states loaded from the ledger (the mode while Redis is unreachable), without time spent on failing Redis calls.',
  `USD per 1M events = WCU/event x ${ON_DEMAND_PRICES.perMillionWriteUnits} + RCU/event x ${ON_DEMAND_PRICES.perMillionReadUnits}: DynamoDB on-demand, Standard table class, us-east-1 (other regions differ), the price basis of docs/capacity.md. Writes billed by the model above; GSI writes, storage, streams and Redis not included.`,
  'Injected latency: a fixed delay before each DynamoDB HTTP request (SDK middleware inside the retry loop) and before each chunk the Redis client sends (TCP proxy); the realised means are in the JSON.',
];

function workloadShape(runs: ReadonlyArray<RunResult>, workload: Workload): BenchResults['workloadShape'] {
  const full = runs.find((r) => !r.prefix && r.shape === 'product') ?? runs.find((r) => !r.prefix);
  if (!full) return null;
  const active = new Set(workload.events.filter((e) => e.kind === 'usage').map((e) => e.key));
  return {
    families: workload.families.length,
    activeFamilies: active.size,
    crossing: full.outcome.familiesCrossing,
    runningOut: full.outcome.familiesRunningOut,
  };
}

function roundRun(r: RunResult): RunResult {
  return JSON.parse(
    JSON.stringify(r, (_key, value) =>
      typeof value === 'number' && !Number.isInteger(value) ? round(value, 3) : value,
    ),
  ) as RunResult;
}

function ratios(runs: ReadonlyArray<RunResult>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const mode of ['local', 'aws'] as const) {
    const a = findRun(runs, 'baseline', mode);
    const b = findRun(runs, 'product', mode);
    if (!a || !b) continue;
    const label = mode === 'aws' ? 'AWS latency' : 'local';
    const ratio = (x: number, y: number) => (y === 0 ? null : round(x / y, 3));
    out[`events/s, ${label}`] = ratio(b.eventsPerSecond, a.eventsPerSecond);
    out[`DDB requests/event, ${label}`] = ratio(b.dynamodb.requestsPerEvent, a.dynamodb.requestsPerEvent);
    out[`WCU/settled event (billing), ${label}`] = ratio(
      b.dynamodb.wcuPerSettledBilling,
      a.dynamodb.wcuPerSettledBilling,
    );
    out[`Redis round trips/batch, ${label}`] = ratio(
      b.redis.roundTripsPerBatch.mean,
      a.redis.roundTripsPerBatch.mean,
    );
    out[`p50 batch latency, ${label}`] = ratio(b.batchLatencyMs.p50, a.batchLatencyMs.p50);
    out[`p99 batch latency, ${label}`] = ratio(b.batchLatencyMs.p99, a.batchLatencyMs.p99);
  }
  return out;
}

/** Whether two shapes left the same ledger totals after the same events (the first mode where both ran them). */
function sameTotals(
  runs: ReadonlyArray<RunResult>,
  totals: ReadonlyMap<string, LedgerTotals>,
  first: Shape = 'baseline',
  second: Shape = 'product',
) {
  for (const mode of ['local', 'aws'] as const) {
    const a = findRun(runs, first, mode);
    const b = findRun(runs, second, mode);
    const ta = totals.get(`${first}:${mode}`);
    const tb = totals.get(`${second}:${mode}`);
    if (!a || !b || !ta || !tb || a.events !== b.events) continue;
    const differences = compareTotals(ta, tb);
    return {
      compared: `${first} vs ${second}, ${mode === 'aws' ? 'AWS latency' : 'local'}, ${a.events} events`,
      same: differences.length === 0,
      differences: differences.slice(0, 20),
    };
  }
  return { compared: null, same: null, differences: [] };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`npm run bench: ${error.message} ('npm run bench -- --help' lists the options)\n`);
      process.exit(2);
    }
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);

/** The period most of the workload's events fall in: the one its families have usage in. */
function periodOfEvents(events: ReadonlyArray<GeneratedEvent>, timeZone: string): Period {
  const counts = new Map<Period, number>();
  for (const { value } of events) {
    try {
      const at = Date.parse((JSON.parse(value ?? '') as { timestamp?: string }).timestamp ?? '');
      if (Number.isFinite(at))
        counts.set(periodOf(at, timeZone), (counts.get(periodOf(at, timeZone)) ?? 0) + 1);
    } catch {
      // A deliberately malformed record: no period.
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? periodOf(Date.now(), timeZone);
}
