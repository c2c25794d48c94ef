import { describeMachineLine } from './machine';
import type { BenchResults, RunResult } from './results';
import { round } from './stats';

const MODE_LABEL = { local: 'local', aws: 'AWS latency' } as const;

export const runLabel = (r: RunResult) => `${r.shape} · ${MODE_LABEL[r.mode]}${r.prefix ? ' *' : ''}`;

/** A plain-text table; the first `left` columns are left-aligned, the rest right-aligned. */
function table(header: string[], rows: Array<Array<string | number>>, left = 1): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i < left ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

const fmt = (value: number, decimals: number) =>
  Number.isFinite(value) ? round(value, decimals).toFixed(decimals) : 'n/a';

export const RUN_COLUMNS = [
  'run',
  'events',
  'events/s',
  'DDB req/event',
  'WCU/settled (billing)',
  'WCU/settled (DDB Local)',
  'RCU/event (billing)',
  'Redis RT/batch',
  'p50 batch ms',
  'p99 batch ms',
];

export function runRow(r: RunResult): string[] {
  return [
    runLabel(r),
    String(r.events),
    fmt(r.eventsPerSecond, 0),
    fmt(r.dynamodb.requestsPerEvent, 2),
    fmt(r.dynamodb.wcuPerSettledBilling, 2),
    fmt(r.dynamodb.wcuPerSettledLocal, 2),
    fmt(r.dynamodb.rcuPerEventBilling, 2),
    fmt(r.redis.roundTripsPerBatch.mean, 1),
    fmt(r.batchLatencyMs.p50, 0),
    fmt(r.batchLatencyMs.p99, 0),
  ];
}

/** The whole report as plain text for stdout. */
export function formatReport(results: BenchResults, prefixNote: string | null): string {
  const out: string[] = [];
  out.push(`Machine: ${describeMachineLine(results.machine)}`);
  if (results.revision) {
    out.push(
      `Code: commit ${results.revision.commit}${results.revision.uncommittedChanges ? ' with uncommitted changes in functions/, lib/ or lua/' : ''}`,
    );
  }
  const load = results.loadAverage;
  out.push(
    `Load average (1 min): ${load.atStart} at start, mean ${load.mean}, max ${load.max} during the runs`,
  );
  out.push('');
  out.push(table(RUN_COLUMNS, results.runs.map(runRow)));
  if (prefixNote) out.push(prefixNote);
  out.push(
    `Index (GSI) writes, estimated, not in the WCU columns: ${results.runs
      .map((r) => `${runLabel(r)} +${fmt(r.dynamodb.indexWcuPerSettled, 2)}`)
      .join('; ')} WCU per settled event`,
  );
  out.push(
    `Saved by dropping GSI1 (settlements by family and period), the same estimate: ${results.runs
      .map((r) => `${runLabel(r)} ${fmt(r.dynamodb.droppedIndexWcuPerSettled, 2)}`)
      .join('; ')} WCU per settled event`,
  );
  out.push(
    `Mean DynamoDB request time, injected + DynamoDB Local: ${results.runs
      .map(
        (r) =>
          `${runLabel(r)} ${fmt(r.dynamodb.latencyMs.realisedMean, 1)} + ${fmt(r.dynamodb.latencyMs.serviceMean, 1)} ms`,
      )
      .join('; ')}`,
  );
  if (results.usageApi) {
    const api = results.usageApi;
    out.push(
      `Usage API, family usage (${api.calls} calls, ${api.injectedDynamoDbMs} ms per DynamoDB request): ` +
        `p50 ${fmt(api.familyUsageMs.p50, 1)} ms, p99 ${fmt(api.familyUsageMs.p99, 1)} ms; ` +
        `${fmt(api.rcuPerCall, 2)} read units and ${fmt(api.requestsPerCall, 1)} requests per call`,
    );
  }
  const shape = results.workloadShape;
  if (shape) {
    out.push(
      `Workload shape: ${shape.families} families, ${shape.activeFamilies} with events; ` +
        `${shape.crossing} (${fmt((100 * shape.crossing) / shape.families, 1)}%) crossed a threshold or ran out, ` +
        `${shape.runningOut} (${fmt((100 * shape.runningOut) / shape.families, 1)}%) ran out`,
    );
  }
  const cost = costTable(results.runs);
  if (cost) out.push('', cost);
  out.push('');
  const ratioRows = Object.entries(results.ratios).map(([name, value]) => [
    name,
    value === null ? 'n/a' : `${fmt(value, 2)}x`,
  ]);
  if (ratioRows.length > 0) out.push(table(['product / baseline', 'ratio'], ratioRows), '');
  const totals = results.sameTotals;
  out.push(
    `same totals: ${totals.same === null ? 'n/a (no baseline and product run of the same events)' : totals.same ? 'yes' : 'no'}` +
      (totals.compared ? ` (${totals.compared})` : ''),
  );
  for (const d of totals.differences.slice(0, 10)) out.push(`  ${d}`);
  const degraded = results.degradedSameTotals;
  if (degraded.compared) {
    out.push(`same totals, normal and degraded mode: ${degraded.same ? 'yes' : 'no'} (${degraded.compared})`);
    for (const d of degraded.differences.slice(0, 10)) out.push(`  ${d}`);
  }
  out.push('');
  const cold = results.coldStart;
  if (cold && 'bundles' in cold) {
    out.push(
      table(
        ['handler', 'bundle bytes', 'source map bytes', 'module init ms (median)', 'of which @aws-sdk ms'],
        cold.bundles.map((b) => [
          b.name,
          b.bundleBytes.toLocaleString('en-US'),
          b.sourceMapBytes.toLocaleString('en-US'),
          fmt(b.initMsMedian, 0),
          fmt(b.externalImportMsMedian, 0),
        ]),
      ),
    );
    out.push(cold.note, '');
  } else if (cold && 'error' in cold) {
    out.push(`cold start: ${cold.error}`, '');
  }
  out.push(
    table(
      ['target', 'measured', 'result'],
      results.targets.map((t) => [t.target, t.measured, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL']),
      3,
    ),
  );
  for (const note of results.notes) out.push(`- ${note}`);
  return out.join('\n');
}

/**
 * On-demand prices of the cost per million events (USD, us-east-1, Standard
 * table class): the one price basis of docs/benchmark.md and docs/capacity.md.
 */
export const ON_DEMAND_PRICES = { perMillionWriteUnits: 0.625, perMillionReadUnits: 0.125 } as const;

/** DynamoDB cost of a million delivered events from a run's write and read units per event (billing model). */
export const costPerMillionEvents = (r: RunResult) =>
  r.dynamodb.wcuPerEventBilling * ON_DEMAND_PRICES.perMillionWriteUnits +
  r.dynamodb.rcuPerEventBilling * ON_DEMAND_PRICES.perMillionReadUnits;

/** Normal against degraded mode (Redis out, the ledger alone deciding), run by run; null without a degraded run. */
function costTable(runs: ReadonlyArray<RunResult>): string | null {
  const rows = runs.filter((r) => r.shape !== 'baseline');
  if (!rows.some((r) => r.shape === 'degraded')) return null;
  return table(
    ['normal vs degraded', 'events/s', 'WCU/event', 'RCU/event', 'DDB req/event', 'USD per 1M events'],
    rows.map((r) => [
      runLabel(r),
      fmt(r.eventsPerSecond, 0),
      fmt(r.dynamodb.wcuPerEventBilling, 2),
      fmt(r.dynamodb.rcuPerEventBilling, 2),
      fmt(r.dynamodb.requestsPerEvent, 2),
      fmt(costPerMillionEvents(r), 2),
    ]),
  );
}
