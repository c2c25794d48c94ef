import { period, positiveId } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { formatBytes, plural, printJson, printLines } from '../output';
import { rebuildFamily } from '../rebuild';

export const REBUILD_CAVEAT = `Caveat: an event Redis decided but DynamoDB had not yet committed when the
snapshot was read is lost from Redis by the rebuild. Rebuild while the family
is idle, or run 'reconcile --fix' afterwards: it repairs what is left.`;

const rebuild: Command = {
  path: 'cache rebuild',
  summary: "rebuild a family's Redis state from DynamoDB",
  usage: 'cache rebuild --family ID [--period yyyyMM] [--json]',
  help: `Replaces the family's Redis state for one period with DynamoDB's, in one
MULTI/EXEC: the period counters and alert markers, the member set and every
member's cached policy are deleted and hydrated again from the ledger.

${REBUILD_CAVEAT}

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
