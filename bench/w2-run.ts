import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createTables, enableLedgerStream } from '../functions/adapters/dynamodb/create-tables';
import { FamilyStore } from '../functions/adapters/dynamodb/family-store';
import { loadConfig } from '../functions/runtime/config';
import { generateWorkload } from '../local/workload/generate';
import { runAbRounds, sliceStream, summariseAb } from './ab-rounds';
import { CpuProfiler, saveProfile, sourceLocation } from './cpu-profile';
import { describeMachine, describeMachineLine, describeRevision } from './machine';
import { formatSelfTime, topSelfTime } from './self-time';
import { type SharedServices, startSharedServices } from './services';
import { DecisionPool } from './snapshot-comparison';
import { mean, round } from './stats';
import { poolItemSizes, projectStorage } from './storage-projection';
import { type StreamFunctionProcess, startStreamFunction } from './stream-function-process';
import { W1 } from './w1';
import { parseW2Options, W2, W2_DELIVERY, W2_USAGE, type W2Options, w2Workload } from './w2';
import { renderW2Chart } from './w2-chart';
import { formatW2, projectRedis, type W1AbResults, type W2Results } from './w2-report';
import { type OpenLoopFigures, openLoopRun, type W2Tables } from './w2-runs';

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `npm run bench -- --workload w2`: seeds the ledger with W2's families once
 * (BatchWriteItem), then on those tables runs interleaved A/B rounds
 * (baseline, then product, each on its own slice of the stream, closed loop)
 * and the open-loop rate test of the product; every run has its own Redis.
 */
export async function runW2(argv: string[]): Promise<number> {
  const options = parseW2Options(argv);
  if (options === 'help') {
    process.stdout.write(`${W2_USAGE}\n`);
    return 0;
  }
  const machine = describeMachine();
  const revision = describeRevision();
  log(`machine: ${describeMachineLine(machine)}`);
  const loads = [loadavg()[0] ?? 0];
  const sampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 5_000);
  sampler.unref();

  const config = loadConfig({ ...process.env });
  const { clockMarginMs, dedupWindowSeconds } = config.settlement;
  const nowMs = Date.now();
  const latency = { dynamodbMs: options.ddbLatencyMs, redisMs: options.redisLatencyMs };

  const shared = await startSharedServices();
  // The stream functions' processes: closed after the last step, killed with the services if the run fails.
  const streamFunctions: Array<{ close(): Promise<void>; kill(): void }> = [];
  try {
    const w1 = options.w1Rounds > 0 ? await runW1Rounds(shared, options, nowMs) : null;
    const tables = { ledger: 'bench-w2-ledger', outbox: 'bench-w2-outbox' };
    const { events, items, requests, seedSeconds } = await seedW2(shared, tables, options, nowMs);
    const take = sliceStream(events);

    const rounds = await runAbRounds(
      shared,
      tables,
      {
        name: 'w2',
        rounds: options.rounds,
        baselineEvents: options.baselineEvents,
        productEvents: options.productEvents,
        latency,
        warm: options.warmCache,
        take,
      },
      log,
    );

    const openLoop: OpenLoopFigures[] = [];
    // Every open-loop step writes to a ledger with a stream, as on AWS, and the archiver reads it, as on AWS.
    let archiver: StreamFunctionProcess<'settlement-archiver'> | null = null;
    if (options.rates.length > 0) {
      await enableLedgerStream(shared.admin, tables.ledger);
      archiver = await startStreamFunction({
        fn: 'settlement-archiver',
        endpoint: shared.dynamodb.endpoint,
        table: tables.ledger,
        latencyMs: ARCHIVE_PUT_MS,
      });
      streamFunctions.push(archiver);
      log('ledger stream: enabled for the open-loop steps, with the settlement archiver reading it');
    }
    const openLoopStep = (
      rate: number,
      seconds: number,
      label: string,
      step: Pick<
        Parameters<typeof openLoopRun>[2],
        'startNotBefore' | 'profiler' | 'snapshots' | 'decisions'
      >,
    ) =>
      openLoopRun(shared, tables, {
        rate,
        seconds,
        pollers: options.pollers,
        events: take(Math.ceil(rate * seconds)),
        latency,
        label: `${label}-${Date.now().toString(36)}`,
        warm: options.warmCache,
        archiver,
        ...step,
      });
    let lastEnded = Date.now();
    let warmUp: W2Results['warmUp'] = null;
    const first = options.rates[0];
    if (options.warmUpSeconds > 0 && first !== undefined) {
      // The first step of a run is the slowest (code not yet compiled, the stream's first shard): left out.
      log(
        `open loop: warm-up, ${first} events/s for ${options.warmUpSeconds} s, usage snapshots off, not measured`,
      );
      const step = await openLoopStep(first, options.warmUpSeconds, 'w2-warm-up', {
        startNotBefore: lastEnded,
      });
      lastEnded = Date.now();
      warmUp = { rate: first, seconds: options.warmUpSeconds, decisionLatencyMs: step.decisionLatencyMs };
      log(`  warm-up: decision p99 ${round(step.decisionLatencyMs.p99, 0)} ms`);
    }
    // One usage-snapshots process for the run's steps with them on, started at the first.
    let snapshotProcess: StreamFunctionProcess<'usage-snapshots'> | null = null;
    const usageSnapshots = async () => {
      if (!snapshotProcess) {
        snapshotProcess = await startStreamFunction({
          fn: 'usage-snapshots',
          endpoint: shared.dynamodb.endpoint,
          table: tables.ledger,
          latencyMs: options.snapshotLatencyMs,
        });
        streamFunctions.push(snapshotProcess);
      }
      return snapshotProcess;
    };
    const pool = new DecisionPool();
    const given = new Map<number, number>();
    for (const rate of options.rates) {
      const time = given.get(rate) ?? 0;
      given.set(rate, time + 1);
      // A rate given again runs its settings the other way round (off on, on off): a drift over the run weighs on both alike.
      const order = time % 2 === 0 ? options.snapshots : [...options.snapshots].reverse();
      for (const snapshots of order) {
        log(
          `open loop: ${rate} events/s for ${options.rateSeconds} s, ${options.pollers} pollers, ` +
            `usage snapshots ${snapshots}`,
        );
        const profiler = options.cpuProf ? new CpuProfiler() : undefined;
        const step = await openLoopStep(rate, options.rateSeconds, `w2-open-${rate}-${snapshots}`, {
          startNotBefore: lastEnded + clockMarginMs + QUIET_MS,
          profiler,
          snapshots: snapshots === 'on' ? await usageSnapshots() : null,
          decisions: pool.step(rate, snapshots),
        });
        lastEnded = Date.now();
        log(
          `  ${rate}/s, snapshots ${snapshots}: ${step.keptUp ? 'kept up' : 'behind'}, decision p50 ` +
            `${round(step.decisionLatencyMs.p50, 0)} ms, p99 ${round(step.decisionLatencyMs.p99, 0)} ms, ` +
            `drain ${round(step.drainSeconds, 1)} s` +
            (step.snapshots ? `, ${step.snapshots.published} snapshots` : ''),
        );
        openLoop.push(step);
        if (profiler?.profile) {
          const name = `w2-open-${rate}${snapshots === 'on' ? '-snapshots' : ''}`;
          const path = saveProfile(profiler.profile, options.outDir, name, process.cwd());
          log(`  wrote ${path}; top functions by self time:`);
          const top = topSelfTime(profiler.profile, 15, sourceLocation(process.cwd()));
          for (const line of formatSelfTime(top)) log(`  ${line}`);
        }
      }
    }
    await Promise.all(streamFunctions.map((fn) => fn.close()));

    const full = options.families === W2.families;
    const results: W2Results = {
      workload: {
        name: full ? 'W2' : `W2 (scaled: ${options.families.toLocaleString('en-US')} families)`,
        families: options.families,
        members: items - options.families,
        zipfS: W2.zipfS,
        partitions: W2_DELIVERY.partitions,
        batchSize: W2_DELIVERY.batchSize,
        duplicateRate: W2.duplicateRate,
        malformedRate: W2.malformedRate,
        injectedLatencyMs: {
          dynamodbPerRequest: options.ddbLatencyMs,
          redisPerRoundTrip: options.redisLatencyMs,
        },
        dedupWindowSeconds,
        cache: options.warmCache ? 'warm' : 'cold',
        snapshots: options.snapshots,
        snapshotProduceLatencyMs: options.snapshotLatencyMs,
        warmUpSeconds: options.warmUpSeconds,
      },
      machine,
      revision,
      takenAt: new Date().toISOString(),
      loadAverage: { mean: round(mean(loads), 2), max: round(Math.max(...loads), 2) },
      seeding: {
        families: options.families,
        items,
        requests,
        seconds: round(seedSeconds, 1),
        itemsPerSecond: round(items / seedSeconds, 0),
      },
      rounds,
      abSummary: summariseAb(rounds),
      w1,
      warmUp,
      openLoop,
      snapshotComparison: pool.compare(),
      redisProjection: projectRedis(
        [...rounds.map((r) => r.product), ...openLoop],
        W2.families,
        dedupWindowSeconds,
      ),
      storageProjection: projectStorage(
        poolItemSizes([...rounds.map((r) => r.product), ...openLoop]),
        W2.families,
        config.outbox.sentRetentionSeconds,
        config.settlement.fateRetentionDays,
      ),
      notes: NOTES,
    };
    // The figures are saved before they are formatted: a report that fails does not lose the run.
    const outDir = resolve(process.cwd(), options.outDir);
    mkdirSync(outDir, { recursive: true });
    const stem = full ? 'w2' : 'w2-scaled';
    writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify(roundAll(results), null, 2)}\n`);
    process.stdout.write(`${formatW2(results)}\n`);
    writeFileSync(join(outDir, `${stem}.svg`), renderW2Chart(results));
    log(`wrote ${options.outDir}/${stem}.json and ${options.outDir}/${stem}.svg`);
    return 0;
  } finally {
    clearInterval(sampler);
    for (const fn of streamFunctions) fn.kill();
    await shared.stop();
  }
}

/**
 * Generates W2 and seeds its families, keeping only the stream: the 250,000
 * generated families would otherwise stay on the bench process's heap for
 * the whole run (about 200 MB), which its garbage collector then walks while
 * the handlers it hosts are being timed.
 */
async function seedW2(shared: SharedServices, tables: W2Tables, options: W2Options, nowMs: number) {
  const workload = w2Workload(options, nowMs);
  log(`workload: ${workload.families.length} families, ${workload.events.length} events generated`);
  // Seeded and A/B-tested without a stream: DynamoDB Local's stream slows every write as it grows.
  await createTables(shared.admin, tables, { streams: false });
  const started = performance.now();
  const store = new FamilyStore(shared.adminDoc, tables.ledger);
  const requests = await store.seedNewFamilies(workload.families, options.seedConcurrency, nowMs);
  const seedSeconds = (performance.now() - started) / 1000;
  const items = workload.families.reduce((n, f) => n + 1 + f.members.length, 0);
  log(`seeded ${items} items in ${round(seedSeconds, 1)} s (${requests} BatchWriteItem requests)`);
  return { events: workload.events, items, requests, seedSeconds };
}

/**
 * An open-loop step starts a clock margin after the previous run's last
 * commit. A period state's settled horizon is the ledger's last settlement
 * when the state was loaded, and records up to a clock margin after it are
 * checked against the ledger first (they may have been settled before the
 * load). Right after another run on the same families that is nearly every
 * record of a busy family; in steady state a state was loaded long before.
 */
const QUIET_MS = 1_000;
/** A PutRecordBatch to the archive's Firehose stream, assumed: the stand-in takes each batch after it. */
const ARCHIVE_PUT_MS = 20;

/**
 * W1's A/B rounds in the same invocation as W2's, on W1's own seeded ledger:
 * the headline compares both workloads with the baseline under one machine
 * load, instead of runs taken minutes or days apart.
 */
async function runW1Rounds(shared: SharedServices, options: W2Options, nowMs: number): Promise<W1AbResults> {
  const events = options.w1Rounds * (options.productEvents + options.baselineEvents);
  const workload = generateWorkload({ ...W1, events, nowMs });
  const tables = { ledger: 'bench-w1ab-ledger', outbox: 'bench-w1ab-outbox' };
  await createTables(shared.admin, tables, { streams: false });
  await new FamilyStore(shared.adminDoc, tables.ledger).seedNewFamilies(
    workload.families,
    options.seedConcurrency,
    nowMs,
  );
  const rounds = await runAbRounds(
    shared,
    tables,
    {
      name: 'w1',
      rounds: options.w1Rounds,
      baselineEvents: options.baselineEvents,
      productEvents: options.productEvents,
      latency: { dynamodbMs: options.ddbLatencyMs, redisMs: options.redisLatencyMs },
      warm: options.warmCache,
      take: sliceStream(workload.events),
    },
    log,
  );
  return { families: W1.families, zipfS: W1.zipfS, rounds, abSummary: summariseAb(rounds) };
}

const NOTES = [
  'Every run of the same invocation uses the one ledger seeded at the start (its own slice of the stream, so event ids never repeat across runs) and a fresh Redis. With --cache warm (the default) the period states of every family the run touches are put into that Redis from the ledger before the run starts, unmetered (steady state on AWS, where a state stays in Redis for its month); with --cache cold each family is loaded from the ledger the first time the run sees it.',
  'A/B rounds: closed loop (the slice is on the topic before the run starts), one poller, batches of up to 1,000 over 8 partitions; events/s = records / wall time of the drain. The ratio is taken per round.',
  'Open loop: each step starts its records a clock margin (CLOCK_MARGIN_SECONDS, 60 s by default) plus 1 s after the previous run ended, so that no record falls within the margin after a settlement the state was loaded with (such records are checked against the ledger first, as on AWS right after a load, not in steady state). Records are produced at the offered rate whatever the consumers do, stamped with the time they are produced; decision latency = the commit answer of the ledger - Kafka record timestamp, for each settled event, the values the handler emits as its DecisionLatencyMs metric; duplicates, rejections and malformed records end at their invocation (recordLatencyMs). Kept up = every offered record processed within 1 s of the producer stopping (lag bounded).',
  'WCU per event: the billing model of W1 (2 x ceil(item KB) per transactional item) over every record of the run; DDB requests include reads, transactions, retries.',
  "CPU: user + system seconds over the run of the bench process (process.cpuUsage: the handlers and the harness in it, simulated event source mapping, Redis latency proxy, DynamoDB meter, SQS emulator), DynamoDB Local and the run's redis-server (/proc/<pid>/stat), per event; % = CPU seconds / (wall seconds x cores). Machine % is every process on the machine (/proc/stat): above the three when something else competed for the cores.",
  'Redis bytes per event: INFO used_memory after - before the run over its records; settled mark and period state sizes: MEMORY USAGE (SAMPLES 0) of up to 300 keys each. Projection: marks = rate x dedup window; period states = families x 2 live periods.',
  'DynamoDB items: sized as DynamoDB counts them, Puts as written, updated items read back at the end of the run. Storage: item and index entry sizes + 100 B each, a 730-hour month, USD 0.25/GB-month (Standard table class, us-east-1, https://aws.amazon.com/dynamodb/pricing/on-demand/). Settlement and rejection records expire by TTL (SETTLEMENT_RETENTION_DAYS after the period following their event, held 1.5 months + 1 day + the retention on average); period items have none and accumulate; sent outbox items expire after the retention window (deletion by TTL can lag, FAILED items never expire). Outbox items are sized as staged, before the relay adds sentAt and expiresAt. Period items are sized after a short run: a month-old item holds every member and is larger.',
  "Usage snapshots (--snapshots on or both): during the step, usage-snapshots runs in a process of its own (as on AWS, another function) on the ledger stream of DynamoDB Local, from the start of the step as its mapping at LATEST; one process serves every such step of the run, as a container that stays warm, so the family limits it keeps carry over from one to the next; it reads family and member items on a client of its own and produces to a stand-in with a fixed delay per produce request; what the stream still holds when the records are drained is published within the step. The settlement archiver reads the same stream in every step, with the snapshots on or off, in a process of its own at the same priority, handing its fates to a stand-in with a fixed delay: on AWS it always runs. The settlement figures of a step (DynamoDB requests, WCU, the bench process's CPU) are the usage function's alone. Its decision latency is what the snapshots must not move (within 10% at p99): with both, a rate given twice runs off on, then on off, and each setting's decisions are pooled over its steps, so a drift over the run weighs on both alike.",
  'Index writes: each item written enters every index whose keys it holds, 1 write unit per KB of its entry (the projection decides the entry); an updated item is counted once. The dropped GSI1 (settlements by family and period, ALL projection) is counted the same way on every settlement record, for what dropping it saves.',
];

function roundAll<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? round(v, 3) : v)),
  ) as T;
}
