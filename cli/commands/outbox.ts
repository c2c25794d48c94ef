import { OUTBOX_STATUS, type OutboxItem, type OutboxStatus } from '../../functions/core/outbox/item';
import {
  listByStatus,
  type OperatorDeps,
  pendingBacklog,
  requeueAllFailed,
  requeueFailed,
} from '../../functions/core/outbox/operations';
import { systemClock } from '../../functions/core/ports';
import { limitCount, oneOf } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import type { CliContext } from '../context';
import { OperationError, UsageError } from '../errors';
import { formatTime, orDash, plural, printJson, printLines, table } from '../output';

const STATUSES = Object.values(OUTBOX_STATUS);

const operator = (ctx: CliContext): OperatorDeps => ({ store: ctx.outbox, clock: systemClock });

function status(value: string | undefined): OutboxStatus {
  if (value === undefined) throw new UsageError(`--status is required (${STATUSES.join(', ')})`);
  const upper = value.toUpperCase();
  return oneOf('--status', upper === 'PENDING' ? OUTBOX_STATUS.pending : upper, STATUSES);
}

/** A cursor is what `outbox list` printed: base64url of a JSON key. Anything else is bad input. */
function cursor(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (typeof key === 'object' && key !== null && !Array.isArray(key)) return value;
  } catch {}
  throw new UsageError('--cursor must be a cursor printed by a previous outbox list');
}

function renderItems(items: ReadonlyArray<OutboxItem>, timeZone: string): string {
  if (items.length === 0) return '(no items)';
  return table(
    [
      'NOTIFICATION ID',
      'STATUS',
      'FAMILY',
      'CUSTOMER',
      'TYPE',
      'ATTEMPTS',
      'NEXT ATTEMPT',
      'CREATED',
      'LAST ERROR',
    ],
    items.map((i) => [
      i.notificationId,
      i.status,
      String(i.familyId),
      String(i.customerId),
      i.type,
      String(i.attempts),
      formatTime(i.nextAttemptAt, timeZone),
      formatTime(i.createdAt, timeZone),
      orDash(i.lastError),
    ]),
  );
}

const list: Command = {
  path: 'outbox list',
  summary: 'list outbox items by status, a page at a time',
  usage: `outbox list --status ${STATUSES.join('|')} [--limit N] [--cursor C] [--json]`,
  help: `Lists outbox items with one status from the status index, soonest due first.

Options:
  --status S            ${STATUSES.join(', ')} (PENDING is short for PUBLISH_PENDING)
  --limit N             items per page, 1-1000 (default 50)
  --cursor C            the cursor a previous page printed, for the next page
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      status: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      ...JSON_OPTION,
    });
    // Every option is checked before the first service is touched.
    const wanted = status(values.status);
    const query = { limit: limitCount('--limit', values.limit, 50, 1000), cursor: cursor(values.cursor) };
    const page = await listByStatus(operator(ctx), wanted, query);
    if (values.json) {
      printJson(ctx.io, page);
    } else {
      printLines(ctx.io, renderItems(page.items, ctx.config.settlement.timeZone));
      if (page.cursor) printLines(ctx.io, `more: --cursor ${page.cursor}`);
    }
    return 0;
  },
};

const requeue: Command = {
  path: 'outbox requeue',
  summary: 'move one FAILED item, or all of them, back to PUBLISH_PENDING',
  usage: 'outbox requeue (ID | --all-failed [--limit N]) [--json]',
  help: `Requeues FAILED notifications: status PUBLISH_PENDING, attempts reset, due
now. The relay publishes them at once; the sweeper is the fallback. Each move
is conditional on the item still being FAILED.

Options:
  ID                    the notificationId of one FAILED item
  --all-failed          every FAILED item
  --limit N             with --all-failed: at most N items
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(
      argv,
      { 'all-failed': { type: 'boolean', default: false }, limit: { type: 'string' }, ...JSON_OPTION },
      { max: 1, names: 'one notification ID' },
    );
    const id = positionals[0];
    if ((id === undefined) === !values['all-failed']) {
      throw new UsageError('give either a notification ID or --all-failed');
    }
    if (id !== undefined && values.limit !== undefined)
      throw new UsageError('--limit goes with --all-failed');
    if (id === undefined) {
      const limit =
        values.limit === undefined ? undefined : limitCount('--limit', values.limit, 1, 1_000_000);
      const result = await requeueAllFailed(operator(ctx), limit === undefined ? {} : { limit });
      const moved = `${result.skipped} had moved meanwhile`;
      if (values.json) printJson(ctx.io, result);
      else printLines(ctx.io, `requeued ${plural(result.requeued, 'FAILED item')} (${moved})`);
      return 0;
    }
    if ((await requeueFailed(operator(ctx), id)) === 'not-failed') {
      const item = await ctx.outbox.get(id);
      throw new OperationError(
        item
          ? `notification ${id} is ${item.status}, not FAILED: not requeued`
          : `notification ${id} does not exist`,
      );
    }
    if (values.json) printJson(ctx.io, { notificationId: id, status: OUTBOX_STATUS.pending });
    else printLines(ctx.io, `requeued ${id}: PUBLISH_PENDING, due now`);
    return 0;
  },
};

const backlog: Command = {
  path: 'outbox backlog',
  summary: 'how many notifications are pending and how old the oldest is',
  usage: 'outbox backlog [--json]',
  help: `Counts PUBLISH_PENDING items and the age of the oldest one (the same figure
the backlog alarm watches).

Options:
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, { ...JSON_OPTION });
    const report = await pendingBacklog(operator(ctx));
    if (values.json) {
      printJson(ctx.io, report);
    } else {
      const oldest =
        report.oldestCreatedAt === null
          ? ''
          : `, oldest created ${formatTime(report.oldestCreatedAt, ctx.config.settlement.timeZone)} (${Math.round(report.oldestAgeMs / 1000)} s ago)`;
      printLines(ctx.io, `${report.pending} pending${oldest}`);
    }
    return 0;
  },
};

export const outboxCommands: ReadonlyArray<Command> = [list, requeue, backlog];
