import { distinctNewestFirst } from '../archived-settlements';
import { limitCount, period, positiveId } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { EXIT, UsageError } from '../errors';
import { readInputFile } from '../input-file';
import { formatBytes, formatTime, orDash, plural, printJson, printLines, table } from '../output';
import { compareUsage, type UsageComparison } from '../usage-compare';
import { parseUsageFigures } from '../usage-figures';

function describeComparison(c: UsageComparison): string[] {
  const lines = [
    `${plural(c.compared, 'family period')} compared: ${c.matching} match, ${c.differences.length} differ`,
  ];
  if (c.differences.length > 0) {
    lines.push(
      table(
        ['FAMILY', 'PERIOD', 'FIGURE BYTES', 'LEDGER BYTES', 'LEDGER - FIGURE'],
        c.differences.map((d) => [
          String(d.familyId),
          d.period,
          String(d.figureBytes),
          String(d.ledgerBytes),
          String(d.differenceBytes),
        ]),
      ),
    );
  }
  return lines;
}

const compare: Command = {
  path: 'usage compare',
  summary: "compare each family's period usage in the ledger with figures from a CSV file",
  usage: 'usage compare --file FILE [--json]',
  help: `Reads a CSV file of familyId,period,usedBytes lines (the usage the system
being replaced counted; an optional header line of those names, blank lines
skipped) and compares each with the used bytes of the family's period item in
the ledger. Prints the family periods that differ. Exit 1 when any differs,
2 when a line is malformed (the first bad line is named, nothing is read).

Example file:
  familyId,period,usedBytes
  1001,202703,5368709120

Options:
  --file FILE           the CSV file (required)
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, { file: { type: 'string' }, ...JSON_OPTION });
    if (values.file === undefined) throw new UsageError('--file is required');
    const figures = parseUsageFigures(values.file, readInputFile('--file', values.file));
    const comparison = await compareUsage(ctx, figures);
    if (values.json) printJson(ctx.io, comparison);
    else printLines(ctx.io, ...describeComparison(comparison));
    return comparison.differences.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

const settlements: Command = {
  path: 'usage settlements',
  summary: "list a family's settlements of a period from the settlement archive",
  usage: 'usage settlements FAMILY_ID [--period yyyyMM] [--customer ID] [--limit N] [--json]',
  help: `Lists the family's settled events of the period (default: the current one),
newest event time first, from the settlement archive: the ledger keeps no
index by family, and settlement records expire from it months after their
period. A settlement reaches the archive minutes after it is committed.

Reads the folder ARCHIVE_DIR names (a local run's .local/<run>/archive), or
else queries the stack's Glue table with Athena (AWS_REGION, ARCHIVE_DATABASE,
ARCHIVE_TABLE, ARCHIVE_WORKGROUP: the stack's outputs), which reads one
family bucket of the month.

Options:
  --period yyyyMM       the settlement period (default: current, in the settlement zone)
  --customer ID         one member's settlements only
  --limit N             print at most N, 1-100000 (default 100)
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        period: { type: 'string' },
        customer: { type: 'string' },
        limit: { type: 'string' },
        ...JSON_OPTION,
      },
      { max: 1, names: 'one family ID' },
    );
    const familyId = positiveId('family ID', positionals[0]);
    const query = {
      familyId,
      period: period(values.period, () => ctx.currentPeriod()),
      customerId: values.customer === undefined ? undefined : positiveId('--customer', values.customer),
    };
    const limit = limitCount('--limit', values.limit, 100, 100_000);
    const all = distinctNewestFirst(await ctx.archive.settlements(query));
    const shown = all.slice(0, limit);
    if (values.json) {
      printJson(ctx.io, { ...query, total: all.length, settlements: shown });
      return EXIT.ok;
    }
    const who =
      query.customerId === undefined
        ? `family ${familyId}`
        : `customer ${query.customerId} of family ${familyId}`;
    const zone = ctx.config.settlement.timeZone;
    printLines(
      ctx.io,
      `${plural(all.length, 'settlement')} of ${who} in ${query.period} in the archive` +
        (shown.length < all.length ? `, newest ${shown.length} shown` : '') +
        `; times in ${zone}`,
      ...(shown.length === 0
        ? []
        : [
            table(
              ['EVENT TIME', 'EVENT ID', 'CUSTOMER', 'BYTES', 'CORRECTED TO', 'APP', 'DECISION'],
              shown.map((s) => [
                formatTime(Date.parse(s.eventTime), zone),
                s.eventId,
                String(s.customerId),
                formatBytes(s.bytesUsed),
                s.correctedBytes === null ? '-' : formatBytes(s.correctedBytes),
                orDash(s.appId),
                s.decision,
              ]),
            ),
          ]),
    );
    return EXIT.ok;
  },
};

export const usageCommands: ReadonlyArray<Command> = [compare, settlements];
