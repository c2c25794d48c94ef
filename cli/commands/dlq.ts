import type { ReceivedLetter } from '../../functions/adapters/sqs/dead-letter-reader';
import { REJECTION_REASONS } from '../../functions/core/rejection';
import { CONFIG_TOPICS_LINE, changeTopics, limitCount, oneOf } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { type ReplayReport, replayDeadLetters } from '../dlq-replay';
import { EXIT } from '../errors';
import { formatTime, orDash, printJson, printLines, table } from '../output';

/** How long `dlq list` hides the messages it reads before releasing them. */
const LIST_VISIBILITY_SECONDS = 30;

const REASON_LINE = `  --reason R            only letters with this reason: ${REJECTION_REASONS.join(', ')}`;

const reasonOption = (value: string | undefined) =>
  value === undefined ? undefined : oneOf('--reason', value, REJECTION_REASONS);

function letterView(m: ReceivedLetter) {
  return {
    messageId: m.messageId,
    reason: m.reason,
    receiveCount: m.receiveCount,
    partition: m.letter?.partitionKey ?? null,
    offset: m.letter?.record.offset ?? null,
    eventId: m.letter?.eventId ?? null,
    rejectedAt: m.letter?.rejectedAt ?? null,
    message: m.letter?.message ?? 'not a dead letter of usage-settlement',
  };
}

const list: Command = {
  path: 'dlq list',
  summary: 'read the rejected-event queue without removing anything',
  usage: 'dlq list [--reason R] [--limit N] [--json]',
  help: `Reads up to N messages of the dead-letter queue and shows each letter's
reason, Kafka coordinates, eventId and message. The messages are received
(hidden for ${LIST_VISIBILITY_SECONDS} s) and released again at once; nothing is deleted.

Options:
${REASON_LINE}
  --limit N             messages to read, 1-10000 (default 100)
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      reason: { type: 'string' },
      limit: { type: 'string' },
      ...JSON_OPTION,
    });
    const reason = reasonOption(values.reason);
    const max = limitCount('--limit', values.limit, 100, 10_000);
    const reader = ctx.deadLetters;
    const received = await reader.receive({ max, visibilitySeconds: LIST_VISIBILITY_SECONDS });
    await reader.release(received);
    const shown = received.filter((m) => reason === undefined || m.reason === reason).map(letterView);
    if (values.json) {
      printJson(ctx.io, { read: received.length, letters: shown });
      return EXIT.ok;
    }
    const rows = shown.map((l) => [
      l.messageId,
      orDash(l.reason),
      orDash(l.partition),
      orDash(l.offset),
      orDash(l.eventId),
      l.rejectedAt ? formatTime(Date.parse(l.rejectedAt), ctx.config.settlement.timeZone) : '-',
      String(l.receiveCount),
      l.message,
    ]);
    printLines(
      ctx.io,
      rows.length === 0
        ? '(no letters)'
        : table(
            ['MESSAGE ID', 'REASON', 'PARTITION', 'OFFSET', 'EVENT ID', 'REJECTED AT', 'RECEIVES', 'MESSAGE'],
            rows,
          ),
      `${shown.length} shown of ${received.length} read`,
    );
    return EXIT.ok;
  },
};

function describeReplay(r: ReplayReport): string[] {
  const s = r.settlement;
  const count = (counts: Partial<Record<string, number>>) =>
    Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '0';
  return [
    `read ${r.received}: replayed ${r.replayed}, skipped ${r.skipped} (other reason), unreadable ${r.unreadable}`,
    ...(r.copies > 0
      ? [`  ${r.copies} further letters of records rejected on more than one delivery, replayed once`]
      : []),
    ...(s
      ? [
          `  settled: ${count(s.settled)}`,
          `  duplicates: ${s.duplicates}, skipped event types: ${s.skipped}`,
          `  rejected again (back in the queue with their reason): ${count(s.rejected)}`,
        ]
      : []),
    ...(r.config
      ? [
          `  policy and family events applied: ${count(r.config.applied)}, stale: ${r.config.stale}`,
          `  rejected again: ${count(r.config.rejected)}`,
        ]
      : []),
    `deleted from the queue: ${r.deleted}; left for the next replay: ${r.unfinished}`,
  ];
}

const replay: Command = {
  path: 'dlq replay',
  summary: 're-submit rejected records through settlement (or the change path) after a fix',
  usage: 'dlq replay [--reason R] [--limit N] [--change-topics A,B] [--json]',
  help: `Re-submits each dead letter's original MSK record through the code its function
runs: usage events through settlement, policy and family events through the
change path. Records that settle or apply (or did before) are deleted from
the queue. Records that are still invalid are sent to the queue again with
their reason, and the original is deleted. Records that hit a transient
failure stay in the queue (exit 1); replay again later. A usage event
rejected as not a member is decided again against the family as it is now.

Options:
${REASON_LINE}
  --limit N             messages to read, 1-10000 (default 1000)
${CONFIG_TOPICS_LINE}
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      reason: { type: 'string' },
      limit: { type: 'string' },
      'change-topics': { type: 'string' },
      ...JSON_OPTION,
    });
    const report = await replayDeadLetters(ctx, {
      reason: reasonOption(values.reason),
      max: limitCount('--limit', values.limit, 1000, 10_000),
      changeTopics: changeTopics(values['change-topics']),
    });
    if (values.json) printJson(ctx.io, report);
    else printLines(ctx.io, ...describeReplay(report));
    return report.unfinished > 0 ? EXIT.failed : EXIT.ok;
  },
};

export const dlqCommands: ReadonlyArray<Command> = [list, replay];
