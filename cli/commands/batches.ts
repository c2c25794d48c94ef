import { CONFIG_TOPICS_LINE, changeTopics, limitCount, oneOf } from '../args';
import { type BatchReplayReport, replayFailedBatches } from '../batch-replay';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { EXIT, UsageError } from '../errors';
import type { KafkaAuth } from '../kafka-ranges';
import { printJson, printLines } from '../output';

const AUTH: ReadonlyArray<KafkaAuth> = ['iam', 'none'];

const count = (counts: Partial<Record<string, number>>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '0';

function describe(r: BatchReplayReport): string[] {
  const lines = [`read ${r.received}: ${r.batches.length} failed batches, ${r.unreadable} other messages`];
  for (const b of r.batches) {
    const where = b.ranges.map((x) => `${x.topic}-${x.partition} ${x.first}..${x.last}`).join(', ');
    lines.push(`${b.messageId} (${b.condition || 'no condition'}): ${where}: ${b.records} records read`);
    if (b.usage) {
      lines.push(
        `  settled ${count(b.usage.settled)}; duplicates ${b.usage.duplicates}; rejected ${count(b.usage.rejected)}`,
      );
    }
    if (b.config) {
      lines.push(
        `  applied ${count(b.config.applied)}; stale ${b.config.stale}; rejected ${count(b.config.rejected)}`,
      );
    }
    for (const g of b.gone) {
      lines.push(
        `  GONE: ${g.topic}-${g.partition} ${g.first}..${g.last} are no longer in the topic (retention)`,
      );
    }
    if (b.unfinished > 0) lines.push(`  ${b.unfinished} records did not finish (transient failure)`);
    lines.push(b.deleted ? '  done: deleted from the queue' : '  left in the queue');
  }
  return lines;
}

const replay: Command = {
  path: 'batches replay',
  summary: 'replay the Kafka offsets of batches the MSK mappings gave up on',
  usage:
    'batches replay [--limit N] [--bootstrap HOST:PORT] [--kafka-auth iam|none] [--change-topics A,B] [--json]',
  help: `When a batch keeps failing past its retry limit or record age, the MSK event
source mapping skips it and sends a record of it (topic, partition, first and
last offset; not the records) to the on-failure queue. This command reads
those records, fetches exactly those offsets from Kafka again (outside the
mappings' consumer groups) and sends them through the code the functions run.
Events settled or applied before are duplicates and change nothing. A queue
message is deleted once every offset it names was read and finished; offsets
the topic no longer holds (retention) are reported and the message is kept.
Replayed events are decided against the family as it is now.

Options:
  --limit N              failure records to read, 1-1000 (default 100)
  --bootstrap HOST:PORT  a broker to read from (default: the first one the record names)
  --kafka-auth A         iam (MSK's IAM listener, TLS; credentials from the environment)
                         or none (a plaintext listener) (default iam)
${CONFIG_TOPICS_LINE}
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      limit: { type: 'string' },
      bootstrap: { type: 'string' },
      'kafka-auth': { type: 'string' },
      'change-topics': { type: 'string' },
      ...JSON_OPTION,
    });
    const bootstrap = values.bootstrap;
    if (bootstrap !== undefined && !/^[^:\s]+:\d+$/.test(bootstrap)) {
      throw new UsageError(`--bootstrap must be HOST:PORT, got "${bootstrap}"`);
    }
    const report = await replayFailedBatches(ctx, {
      max: limitCount('--limit', values.limit, 100, 1_000),
      bootstrap,
      auth: oneOf('--kafka-auth', values['kafka-auth'] ?? 'iam', AUTH),
      changeTopics: changeTopics(values['change-topics']),
    });
    if (values.json) printJson(ctx.io, report);
    else printLines(ctx.io, ...describe(report));
    return report.batches.every((b) => b.deleted) ? EXIT.ok : EXIT.failed;
  },
};

export const batchCommands: ReadonlyArray<Command> = [replay];
