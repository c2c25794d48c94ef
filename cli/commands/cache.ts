import { period, positiveId } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { formatBytes, plural, printJson, printLines } from '../output';
import { rebuildFamily } from '../rebuild';

/** What a rebuild does to decisions in flight; `reconcile --fix` rebuilds too. */
export const REBUILD_NOTE = `Safe while events flow: decisions Redis held pending go with the dropped state
and are made again when their events are redelivered, and a commit made from
the dropped state is refused by the ledger's version check.`;

const rebuild: Command = {
  path: 'cache rebuild',
  summary: "rebuild a family's Redis state from DynamoDB",
  usage: 'cache rebuild --family ID [--period yyyyMM] [--json]',
  help: `Replaces the family's Redis state for one period with DynamoDB's: the period
state (quota and remaining, members with their usage and policies, alert
markers: one hash) is dropped, then loaded again from the ledger.

${REBUILD_NOTE}

Options:
  --family ID           the family (required)
  --period yyyyMM       the period (default: the current one in the settlement zone)
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      family: { type: 'string' },
      period: { type: 'string' },
      ...JSON_OPTION,
    });
    const familyId = positiveId('--family', values.family);
    const result = await rebuildFamily(
      ctx,
      familyId,
      period(values.period, () => ctx.currentPeriod()),
    );
    if (values.json) printJson(ctx.io, result);
    else
      printLines(
        ctx.io,
        `rebuilt family ${result.familyId} for ${result.period}: quota ${formatBytes(result.quotaBytes)}, ` +
          `remaining ${formatBytes(result.remainingBytes)}, ${plural(result.members, 'member')}`,
      );
    return 0;
  },
};

export const cacheCommands: ReadonlyArray<Command> = [rebuild];
