import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../../local/services/dynamodb-local';
import { INVARIANTS } from './invariants';
import { type ChaosResult, runScenario } from './run-scenario';
import { hasRedisOutages, SCENARIOS } from './scenarios';

/**
 * `npm run chaos`: every fault scenario over a generated workload, through the
 * real handlers, with a table of faults injected and invariant violations.
 * Exits non-zero on any violation.
 */
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    families: { type: 'string', default: '200' },
    /** Scenarios whose name contains this; repeat it for several. */
    only: { type: 'string', multiple: true },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});

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
  const dynamodb = await startDynamoDbLocal();
  const results: ChaosResult[] = [];
  const widths = [34, 8, 7, 6, ...INVARIANTS.map(() => 4), 8, 8, 8];
  const scenarios = SCENARIOS.filter((s) => !values.only || values.only.some((o) => s.name.includes(o)));
  const outageNames = new Set(scenarios.filter(hasRedisOutages).map((s) => s.name));
  try {
    process.stdout.write(`Invariants: ${INVARIANTS.map((name) => `${short[name]} ${name}`).join('; ')}\n\n`);
    process.stdout.write(
      `${row(['fault', 'events', 'faults', 's', ...INVARIANTS.map((n) => short[n] ?? n), 'wire dup', 'outdated', 'degraded'], widths)}\n`,
    );
    for (const [index, scenario] of scenarios.entries()) {
      const result = await runScenario(scenario, {
        dynamodbEndpoint: dynamodb.endpoint,
        events: Number(values.events),
        families: Number(values.families),
        partitions: 8,
        batchSize: 200,
        seed: Number(values.seed) + index,
        outboxTimeoutMs: 120_000,
      });
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
          ],
          widths,
        )}\n`,
      );
      for (const example of result.examples) process.stdout.write(`    ${example}\n`);
    }
  } finally {
    await dynamodb.stop();
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
    process.stderr.write(`chaos run failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(2);
  },
);
