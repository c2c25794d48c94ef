import { UsageError } from '../../cli/errors';
import { checkOutputPath } from '../../cli/input-file';
import { parseOptionArgs } from '../../cli/option-parser';
import { startDynamoDbLocal } from '../../local/services/dynamodb-local';
import { INVARIANTS } from './invariants';
import { type ChaosResult, runScenario } from './run-scenario';
import { hasRedisOutages, SCENARIOS } from './scenarios';

/**
 * `npm run chaos`: every fault scenario over a generated workload, through the
 * real handlers, with a table of faults injected and invariant violations.
 * Exits non-zero on any violation.
 */
const USAGE = `npm run chaos -- [options]

Every fault scenario of test/chaos/scenarios.ts over a generated workload,
through the real handlers; exit 1 on any invariant violation.

Options:
  --events N        events per scenario (default 20000)
  --families N      families (default 200)
  --only TEXT       only scenarios whose name contains TEXT; repeat it for several
  --seed N          seed of the first scenario's workload; each next scenario adds 1 (default 1)
  --json F          also write the results as JSON to the file F
  -h, --help        this text`;

function wholeNumber(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got "${text}"`);
  }
  return value;
}

function parseOptions(argv: string[]) {
  const { values } = parseOptionArgs(argv, {
    events: { type: 'string', default: '20000' },
    families: { type: 'string', default: '200' },
    only: { type: 'string', multiple: true },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help' as const;
  const names = SCENARIOS.map((s) => s.name);
  const unmatched = (values.only ?? []).filter((o) => !names.some((n) => n.includes(o)));
  if (unmatched.length > 0) throw new UsageError(`--only "${unmatched[0]}" names no scenario`);
  // Before the run, not after an hour of it.
  if (values.json !== undefined) checkOutputPath('--json', values.json, 'file');
  return {
    events: wholeNumber('events', values.events, 1),
    families: wholeNumber('families', values.families, 1),
    only: values.only,
    seed: wholeNumber('seed', values.seed, 0),
    json: values.json,
  };
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_REGION ??= 'ap-northeast-2';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const short: Record<string, string> = Object.fromEntries(INVARIANTS.map((name, i) => [name, `I${i + 1}`]));

function row(cells: Array<string | number>, widths: number[]): string {
  return cells
    .map((c, i) =>
      String(c)
        .padStart(i === 0 ? 0 : (widths[i] ?? 4))
        .padEnd(i === 0 ? (widths[0] ?? 30) : 0),
    )
    .join(' ');
}

async function main(): Promise<number> {
  const values = parseOptions(process.argv.slice(2));
  if (values === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const results: ChaosResult[] = [];
  const widths = [34, 8, 7, 6, ...INVARIANTS.map(() => 4), 8, 8, 8, 10, 9, 9];
  const scenarios = SCENARIOS.filter((s) => !values.only || values.only.some((o) => s.name.includes(o)));
  const outageNames = new Set(scenarios.filter(hasRedisOutages).map((s) => s.name));
  process.stdout.write(`Invariants: ${INVARIANTS.map((name) => `${short[name]} ${name}`).join('; ')}\n\n`);
  process.stdout.write(
    `${row(['fault', 'events', 'faults', 's', ...INVARIANTS.map((n) => short[n] ?? n), 'wire dup', 'outdated', 'degraded', 'zero-rated', 'unblocked', 'corrected'], widths)}\n`,
  );
  for (const [index, scenario] of scenarios.entries()) {
    // A DynamoDB Local of its own: it keeps the stream records of deleted tables, and every
    // write then scans them, so a shared one made each scenario of 20,000 events slower than the last.
    const dynamodb = await startDynamoDbLocal();
    const result = await runScenario(scenario, {
      dynamodbEndpoint: dynamodb.endpoint,
      events: values.events,
      families: values.families,
      partitions: 8,
      batchSize: 200,
      seed: values.seed + index,
      outboxTimeoutMs: 120_000,
    }).finally(() => dynamodb.stop());
    results.push(result);
    process.stdout.write(
      `${row(
        [
          result.scenario,
          result.events,
          result.faultsInjected,
          result.seconds,
          ...INVARIANTS.map((i) => result.violations[i]),
          result.wireDuplicates,
          result.outdatedStates,
          result.degradedDecisions,
          result.zeroRatedDecisions,
          result.topupUnblocks,
          result.correctionsApplied,
        ],
        widths,
      )}\n`,
    );
    for (const example of result.examples) process.stdout.write(`    ${example}\n`);
  }
  const total = results.reduce((n, r) => n + Object.values(r.violations).reduce((a, b) => a + b, 0), 0);
  process.stdout.write(
    `\n${total === 0 ? 'zero violations' : `${total} VIOLATIONS`} over ${results.length} scenarios\n`,
  );
  // An outage scenario that never decided from the ledger alone proved nothing about degraded mode.
  const idle = results.filter((r) => r.degradedDecisions === 0 && outageNames.has(r.scenario));
  for (const r of idle) process.stdout.write(`NOT EXERCISED: ${r.scenario} made no degraded decision\n`);
  if (values.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values.json, JSON.stringify(results, null, 2));
  }
  return total === 0 && idle.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`npm run chaos: ${error.message} ('npm run chaos -- --help' lists the options)\n`);
      process.exit(2);
    }
    process.stderr.write(`chaos run failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(2);
  },
);
