import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { EXIT, UsageError } from '../errors';
import { readInputFile } from '../input-file';
import { plural, printJson, printLines, table } from '../output';
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

export const usageCommands: ReadonlyArray<Command> = [compare];
