import { period } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { EXIT } from '../errors';
import { plural, printJson, printLines } from '../output';
import { RECHECK_MS, type ReconcileReport, reconcile } from '../reconcile';
import { REBUILD_NOTE } from './cache';

function describeReport(r: ReconcileReport, fix: boolean): string[] {
  const lines = [
    `period ${r.period}: ${plural(r.checked, 'family', 'families')} checked, ${r.inSync} in sync, ` +
      `${r.notCached} not in Redis, ${r.drifted.length} drifted`,
  ];
  for (const family of r.drifted) {
    const fields = family.drift.map((d) => `${d.field} redis=${d.redis} ledger=${d.ledger}`).join('; ');
    const outcome = !fix
      ? ''
      : family.fixed
        ? ' -> rebuilt from DynamoDB'
        : ' -> still drifting after rebuild';
    lines.push(`  family ${family.familyId}: ${fields}${outcome}`);
  }
  if (!fix && r.drifted.length > 0) lines.push("run 'reconcile --fix' to rebuild the drifted families");
  return lines;
}

const run: Command = {
  path: 'reconcile',
  summary: 'compare Redis with DynamoDB for all families of a period; --fix repairs drift',
  usage: 'reconcile [--period yyyyMM] [--fix] [--json]',
  help: `For every family with usage in the period (the ledger's period index, never a
scan), compares Redis's period state with DynamoDB: version, quota, remaining
(quota - used) and each member's usage, counting the decisions still pending in
Redis on the ledger's side. A state at another version than the ledger's is
reported as version drift: it is outdated, and its next commit is refused and
reloaded anyway. Families without Redis state are not drift (the next event
loads them). Drift is confirmed by a second look ${RECHECK_MS} ms later, so events in
flight are not reported. Exit 1 when drift is found and --fix is not given.

--fix rebuilds each drifted family from DynamoDB (see 'cache rebuild').
${REBUILD_NOTE}

Options:
  --period yyyyMM       the period (default: the current one in the settlement zone)
  --fix                 rebuild drifted families
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      period: { type: 'string' },
      fix: { type: 'boolean', default: false },
      ...JSON_OPTION,
    });
    const report = await reconcile(
      ctx,
      period(values.period, () => ctx.currentPeriod()),
      values.fix,
    );
    if (values.json) printJson(ctx.io, report);
    else printLines(ctx.io, ...describeReport(report, values.fix));
    const unresolved = report.drifted.filter((f) => f.fixed !== true);
    return unresolved.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

export const reconcileCommands: ReadonlyArray<Command> = [run];
