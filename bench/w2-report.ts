import type { AbRound, AbSummary } from './ab-rounds';
import type { Machine } from './machine';
import type { SnapshotComparison } from './snapshot-comparison';
import { median, round } from './stats';
import { poolItemSizes, STORED_ITEM_OVERHEAD_BYTES, type StorageProjection } from './storage-projection';
import type { OpenLoopFigures, W2RunFigures } from './w2-runs';

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly values: ReadonlyArray<number>;
}

export const spread = (values: ReadonlyArray<number>): Spread => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
  values,
});

export interface W2Results {
  readonly workload: {
    readonly name: string;
    readonly families: number;
    readonly members: number;
    readonly zipfS: number;
    readonly partitions: number;
    readonly batchSize: number;
    readonly duplicateRate: number;
    readonly malformedRate: number;
    readonly injectedLatencyMs: { readonly dynamodbPerRequest: number; readonly redisPerRoundTrip: number };
    readonly dedupWindowSeconds: number;
    readonly cache: 'warm' | 'cold';
    /** The open-loop steps ran without the live usage snapshots, with them, or both at each rate. */
    readonly snapshots: ReadonlyArray<'off' | 'on'>;
    readonly snapshotProduceLatencyMs: number;
    /** Seconds of the unmeasured open-loop step before the measured ones. */
    readonly warmUpSeconds: number;
  };
  readonly machine: Machine;
  readonly revision: { readonly commit: string; readonly uncommittedChanges: boolean } | null;
  readonly takenAt: string;
  readonly loadAverage: { readonly mean: number; readonly max: number };
  readonly seeding: {
    readonly families: number;
    readonly items: number;
    readonly requests: number;
    readonly seconds: number;
    readonly itemsPerSecond: number;
  };
  readonly rounds: ReadonlyArray<AbRound>;
  readonly abSummary: AbSummary;
  /** W1's A/B rounds, taken in the same invocation (null with --w1-rounds 0). */
  readonly w1: W1AbResults | null;
  /** The unmeasured step before the open-loop steps (--warm-up); null when there was none. */
  readonly warmUp: {
    readonly rate: number;
    readonly seconds: number;
    readonly decisionLatencyMs: OpenLoopFigures['decisionLatencyMs'];
  } | null;
  readonly openLoop: ReadonlyArray<OpenLoopFigures>;
  /** At each rate run with the snapshots off and on: decision latency pooled over the steps of each. */
  readonly snapshotComparison: ReadonlyArray<SnapshotComparison>;
  readonly redisProjection: RedisProjection | null;
  readonly storageProjection: StorageProjection | null;
  readonly notes: ReadonlyArray<string>;
}

export interface W1AbResults {
  readonly families: number;
  readonly zipfS: number;
  readonly rounds: ReadonlyArray<AbRound>;
  readonly abSummary: AbSummary;
}

export interface RedisProjection {
  readonly settledMarkBytes: number;
  readonly periodStateBytes: number;
  readonly dedupWindowSeconds: number;
  /** Settled marks alive at once: rate x dedup window, times their size. */
  readonly marksAt: Record<string, { readonly marks: number; readonly bytes: number }>;
  /** Period states: one per family and live period, whatever the rate (2 near a month boundary). */
  readonly statesFor: { readonly families: number; readonly periods: number; readonly bytes: number };
}

export function projectRedis(
  runs: ReadonlyArray<W2RunFigures>,
  families: number,
  dedupWindowSeconds: number,
): RedisProjection | null {
  const withMarks = runs.filter((r) => r.redis.settledMarks.count > 0);
  if (withMarks.length === 0) return null;
  const markBytes = median(withMarks.map((r) => r.redis.settledMarks.meanBytes));
  const stateBytes = median(withMarks.map((r) => r.redis.periodStates.meanBytes));
  const marksAt: RedisProjection['marksAt'] = {};
  for (const rate of [5_000, 10_000]) {
    const marks = rate * dedupWindowSeconds;
    marksAt[`${rate}/s`] = { marks, bytes: Math.round(marks * markBytes) };
  }
  return {
    settledMarkBytes: round(markBytes, 1),
    periodStateBytes: round(stateBytes, 1),
    dedupWindowSeconds,
    marksAt,
    statesFor: { families, periods: 2, bytes: Math.round(families * 2 * stateBytes) },
  };
}

const GiB = 1024 ** 3;
// A figure with no samples is NaN here, and null once it has crossed a process's IPC channel as JSON.
const fmt = (n: number | null, d = 0) =>
  n === null || Number.isNaN(n) ? 'n/a' : round(n, d).toLocaleString('en-US');

/** The printed table: one line per run, then the A/B summary and the projection. */
export function formatW2(results: W2Results): string {
  const lines: string[] = [];
  const s = results.seeding;
  lines.push(
    `${results.workload.name}: seeded ${fmt(s.families)} families (${fmt(s.items)} items) in ${fmt(s.seconds, 1)} s, ` +
      `${fmt(s.itemsPerSecond)} items/s, ${fmt(s.requests)} BatchWriteItem requests`,
    '',
    `cache: ${results.workload.cache}`,
    'run                  events  events/s  DDB req/ev  WCU/ev  +idx/ev  tx/batch  hydr/ev  Redis B/ev  p50 dec ms  p95 dec ms  p99 dec ms  lag',
  );
  const row = (name: string, r: W2RunFigures, o?: OpenLoopFigures) =>
    [
      name.padEnd(19),
      fmt(r.events).padStart(7),
      fmt(r.eventsPerSecond).padStart(9),
      fmt(r.dynamodb.requestsPerEvent, 3).padStart(11),
      fmt(r.dynamodb.wcuPerEvent, 2).padStart(7),
      fmt(r.dynamodb.wcuWithIndexesPerEvent, 2).padStart(8),
      fmt(r.dynamodb.transactionsPerBatch, 1).padStart(9),
      fmt(r.hydrations / Math.max(r.events, 1), 3).padStart(8),
      fmt(r.redis.bytesPerEvent).padStart(11),
      (o ? fmt(o.decisionLatencyMs.p50) : '-').padStart(11),
      (o ? fmt(o.decisionLatencyMs.p95) : '-').padStart(11),
      (o ? fmt(o.decisionLatencyMs.p99) : '-').padStart(11),
      o ? (o.keptUp ? ' bounded' : ` behind (${fmt(o.offered - o.processed)} left)`) : '',
      o ? ` loop delay p99 ${fmt(o.eventLoopDelayMs.p99)} ms, max ${fmt(o.eventLoopDelayMs.max)} ms` : '',
    ].join(' ');
  results.w1?.rounds.forEach((round, i) => {
    lines.push(row(`W1 A${i + 1} baseline`, round.baseline), row(`W1 B${i + 1} product`, round.product));
  });
  results.rounds.forEach((round, i) => {
    lines.push(row(`A${i + 1} baseline`, round.baseline), row(`B${i + 1} product`, round.product));
  });
  const stepName = (o: OpenLoopFigures) => `open ${o.offeredRate}/s${o.snapshots ? ' +snap' : ''}`;
  for (const o of results.openLoop) lines.push(row(stepName(o), o, o));
  lines.push(...snapshotComparison(results));
  const product = [...results.rounds.map((r) => r.product), ...results.openLoop];
  if (product.length > 0) {
    const span = (pick: (r: W2RunFigures) => number) =>
      `${fmt(Math.min(...product.map(pick)), 2)}-${fmt(Math.max(...product.map(pick)), 2)}`;
    lines.push(
      `WCU/ev is the table's writes (billing model), +idx/ev adds the index entries; the product runs' index writes are ` +
        `${span((r) => r.dynamodb.indexWcuPerEvent)} WCU/event, and the dropped GSI1 (settlements by family and period) ` +
        `would add ${span((r) => r.dynamodb.droppedIndexWcuPerEvent)} more`,
    );
  }
  const cpu = formatCpu(results);
  if (cpu.length > 0) lines.push('', ...cpu);
  const ab = results.abSummary;
  if (ab.rounds > 0) {
    lines.push(
      '',
      `A/B product/baseline events/s: median ${fmt(ab.ratio.median, 1)}x (min ${fmt(ab.ratio.min, 1)}x, max ${fmt(ab.ratio.max, 1)}x over ${ab.rounds} rounds)`,
    );
  }
  if (results.w1) lines.push('', ...headline(results, results.w1));
  const p = results.redisProjection;
  if (p) {
    lines.push(
      `Redis: settled mark ${fmt(p.settledMarkBytes)} B, period state ${fmt(p.periodStateBytes)} B; dedup window ${p.dedupWindowSeconds} s`,
      ...Object.entries(p.marksAt).map(
        ([rate, m]) => `  at ${rate}: ${fmt(m.marks)} marks = ${fmt(m.bytes / GiB, 2)} GiB`,
      ),
      `  period states, ${fmt(p.statesFor.families)} families x ${p.statesFor.periods} periods: ${fmt(p.statesFor.bytes / GiB, 2)} GiB`,
    );
  }
  lines.push(...formatItems([...results.rounds.map((r) => r.product), ...results.openLoop]));
  if (results.storageProjection) lines.push(...formatStorage(results.storageProjection));
  return lines.join('\n');
}

/** The promise is one-sided (on may not be slower); a change past 10% either way is also said as such, since it is then noise. */
function verdict(changePct: number): string {
  if (Math.abs(changePct) <= 10) return 'within 10%';
  return changePct > 0 ? 'more than 10% above: the promise not kept' : 'more than 10% below';
}

/**
 * Decision p99 at each rate with the live usage snapshots off and on (the
 * promise: no more than 10% above), pooled over the steps of each setting,
 * and what the snapshots themselves did in each step with them on.
 */
function snapshotComparison(results: W2Results): string[] {
  const lines: string[] = [];
  for (const c of results.snapshotComparison) {
    const change = `${c.p99ChangePct >= 0 ? '+' : ''}${fmt(c.p99ChangePct, 1)}%`;
    lines.push(
      `${c.rate}/s, steps ${c.order.join(' ')}: decision p99 ${fmt(c.off.p99)} ms off, ${fmt(c.on.p99)} ms on ` +
        `(${change}; ${verdict(c.p99ChangePct)}), each setting's steps pooled ` +
        `(${fmt(c.off.decisions)} and ${fmt(c.on.decisions)} decisions); step p99s off ${c.off.stepP99s.map((v) => fmt(v)).join('/')}, ` +
        `on ${c.on.stepP99s.map((v) => fmt(v)).join('/')} ms; steps of one setting differ by up to ${fmt(c.sameSettingSpreadPct, 0)}%`,
    );
  }
  for (const step of results.openLoop) {
    const a = step.archiver;
    if (!a) continue;
    lines.push(
      `${step.offeredRate}/s${step.snapshots ? ' +snap' : ''}: settlement archiver ${fmt(a.archived)} fates archived, ` +
        `its process ${fmt((a.cpuSeconds * 1000) / Math.max(step.settled, 1), 2)} ms CPU per settled event, ` +
        `${fmt(a.streamReads / Math.max(step.seconds, 1), 1)} stream reads a second`,
    );
  }
  for (const on of results.openLoop) {
    const s = on.snapshots;
    if (!s) continue;
    lines.push(
      `${on.offeredRate}/s with snapshots: ${fmt(s.published)} snapshots (${fmt(s.superseded)} superseded, ${s.failed} failed), ` +
        `commit to produce p50 ${fmt(s.commitToPublishMs.p50)} ms, p99 ${fmt(s.commitToPublishMs.p99)} ms ` +
        `(produce +${fmt(s.produceLatencyMs.configured)} ms); ${fmt(s.published / on.settled, 2)} snapshots per settled event, ` +
        `${fmt(s.valueBytes.mean)} bytes each (max ${fmt(s.valueBytes.max)})` +
        (s.cpuSeconds === undefined
          ? ''
          : `; usage-snapshots process ${fmt((s.cpuSeconds * 1000) / Math.max(on.settled, 1), 2)} ms CPU per settled event`) +
        (s.streamReads === undefined
          ? ''
          : `, ${fmt(s.streamReads / Math.max(on.seconds, 1), 1)} stream reads a second`) +
        (s.limits === undefined
          ? ''
          : `; limits of ${fmt(s.limits.cached + s.limits.read)} families, ${fmt((100 * s.limits.cached) / Math.max(s.limits.cached + s.limits.read, 1))}% from what the process kept, ` +
            `${fmt(s.limits.items / Math.max(on.settled, 1), 2)} items read per settled event`),
    );
  }
  return lines;
}

/** W1 and W2 side by side, both against the baseline shape, from the one invocation. */
function headline(results: W2Results, w1: W1AbResults): string[] {
  const columns = [
    { name: `W1 (${fmt(w1.families)} families)`, ab: w1.abSummary, rounds: w1.rounds },
    {
      name: `W2 (${fmt(results.workload.families)} families)`,
      ab: results.abSummary,
      rounds: results.rounds,
    },
  ];
  const wcu = (rounds: ReadonlyArray<AbRound>, shape: 'baseline' | 'product') =>
    fmt(median(rounds.map((r) => r[shape].dynamodb.wcuPerEvent)), 2);
  const cell = (t: string) => t.padStart(26);
  return [
    `${'medians of the A/B rounds'.padEnd(28)}${columns.map((c) => cell(c.name)).join('')}`,
    `${'baseline events/s'.padEnd(28)}${columns.map((c) => cell(fmt(c.ab.baselineEventsPerSecond.median))).join('')}`,
    `${'product events/s'.padEnd(28)}${columns.map((c) => cell(fmt(c.ab.productEventsPerSecond.median))).join('')}`,
    `${'product / baseline'.padEnd(28)}${columns
      .map((c) => cell(`${fmt(c.ab.ratio.median, 1)}x (${fmt(c.ab.ratio.min, 1)}-${fmt(c.ab.ratio.max, 1)})`))
      .join('')}`,
    `${'WCU/event baseline, product'.padEnd(28)}${columns
      .map((c) => cell(`${wcu(c.rounds, 'baseline')}, ${wcu(c.rounds, 'product')}`))
      .join('')}`,
  ];
}

function formatItems(runs: ReadonlyArray<W2RunFigures>): string[] {
  const pooled = poolItemSizes(runs);
  const kinds = Object.entries(pooled.kinds).sort(([a], [b]) => a.localeCompare(b));
  if (kinds.length === 0) return [];
  return [
    '',
    `DynamoDB items, product runs (${fmt(pooled.events)} events); updated items once each, at their final size:`,
    'kind          items  writes/ev  mean B  max B  WCU/write  GSI entries/item  GSI mean B',
    ...kinds.map(([kind, k]) =>
      [
        kind.padEnd(11),
        fmt(k.items).padStart(7),
        fmt(k.writes / Math.max(pooled.events, 1), 3).padStart(10),
        fmt(k.meanBytes).padStart(7),
        fmt(k.maxBytes).padStart(6),
        fmt(k.wcuPerWrite, 2).padStart(10),
        fmt(k.indexEntries / k.items, 2).padStart(17),
        fmt(k.indexMeanBytes).padStart(11),
      ].join(' '),
    ),
  ];
}

function formatStorage(s: StorageProjection): string[] {
  const days = s.outboxRetentionSeconds / 86_400;
  return [
    `DynamoDB storage, Standard table class at USD ${s.usdPerGbMonth}/GB-month (us-east-1), ${STORED_ITEM_OVERHEAD_BYTES} B more per item and index entry:`,
    `  per event ${fmt(s.recordBytesPerEvent)} B of records (in no index; TTL: held ${fmt(s.recordLifetimeDays, 1)} d on average, ` +
      `USD ${fmt(s.recordUsdPerMillionEvents, 3)} per million events); ` +
      `${fmt(s.outboxItemsPerEvent, 3)} outbox items of ${fmt(s.outboxItemBytes)} B (TTL ${fmt(days, 1)} d after sent)`,
    `  per family and month one period item of ${fmt(s.periodItemBytes)} B (no TTL, kept): ` +
      `${fmt(s.families)} families`,
    ...Object.entries(s.at).map(
      ([rate, a]) =>
        `  at ${rate}: records ${fmt(a.recordsGb)} GB held (USD ${fmt(a.recordsUsdPerMonth)}/month, steady); ` +
        `period items +${fmt(a.periodsGb, 2)} GB a month (each month kept adds USD ${fmt(a.periodsAddUsdPerMonth, 2)}/month); ` +
        `outbox ${fmt(a.outboxGb, 1)} GB held (USD ${fmt(a.outboxUsdPerMonth)}/month)`,
    ),
  ];
}

const cpuCell = (value: number | null, digits: number, width: number) =>
  (value === null ? '-' : fmt(value, digits)).padStart(width);

/** CPU ms per event of each process sharing the cores, and how busy they kept the machine. */
function formatCpu(results: W2Results): string[] {
  const ab = (prefix: string, rounds: ReadonlyArray<AbRound>) =>
    rounds.flatMap(
      (r, i): Array<[string, W2RunFigures]> => [
        [`${prefix}A${i + 1} baseline`, r.baseline],
        [`${prefix}B${i + 1} product`, r.product],
      ],
    );
  const runs: Array<[string, W2RunFigures]> = [
    ...ab('W1 ', results.w1?.rounds ?? []),
    ...ab('', results.rounds),
    ...results.openLoop.map((o): [string, W2RunFigures] => [
      `open ${o.offeredRate}/s${o.snapshots ? ' +snap' : ''}`,
      o,
    ]),
  ];
  const first = runs[0];
  if (!first) return [];
  return [
    `CPU ms/event by process, ${first[1].cpu.cores} cores (node: the bench process, handlers and harness together)`,
    'run                  node ms/ev  DDB Local ms/ev  redis ms/ev  3 procs %  machine %',
    ...runs.map(([name, { cpu }]) =>
      [
        name.padEnd(19),
        cpuCell(cpu.node.msPerEvent, 3, 11),
        cpuCell(cpu.dynamodbLocal.msPerEvent, 3, 16),
        cpuCell(cpu.redisServer.msPerEvent, 3, 12),
        cpuCell(cpu.total.share === null ? null : cpu.total.share * 100, 0, 10),
        cpuCell(cpu.machineShare === null ? null : cpu.machineShare * 100, 0, 10),
      ].join(' '),
    ),
  ];
}
