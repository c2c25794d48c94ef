import { parseArgs } from 'node:util';
import { formatSummary } from './format-summary';
import { JavaUnavailableError } from './kafka/broker/kafka-broker';
import { KafkaJarsMissingError } from './kafka/broker/kafka-jars';
import { TOPICS } from './kafka/topics';
import { LocalServices, runPipeline } from './pipeline';
import { RedisUnavailableError } from './services/redis-server';

const topicNames = () => TOPICS.map((t) => t.name).join(', ');

const USAGE = `Usage: npm start -- [options]

Runs the whole pipeline locally: DynamoDB Local, Redis, an SQS dead-letter
queue emulator and a notification sink, with the real handlers invoked by a
simulation of the MSK and DynamoDB-stream event source mappings.

Options:
  --kafka             a real single-node Apache Kafka broker (needs a JDK 17+ and,
                      the first time, Maven: see docs/kafka-harness.md) instead of
                      the in-process topics; prints its bootstrap address
  --keep-running      with --kafka: keep consuming after the workload, for your own
                      producers, until Ctrl-C; then print the summary of everything
  --events N          events to generate (default 5000)
  --families N        demo families to generate (default 40)
  --events-file F     read usage envelopes from a JSONL file instead
  --families-file F   read families from a JSON array instead
  --partitions N      Kafka partitions (default 8)
  --batch-size N      records per handler invocation (default 500)
  --top N             families shown in the summary (default 5)
  --seed N            workload seed (default 20261121)
  --out DIR           where dead letters and notifications are written (default .local)
  --log-level L       handler log level: SILENT, ERROR, WARN, INFO (default SILENT)
  --json              print the summary as one JSON object on stdout
  -h, --help          this text

Redis: REDIS_URL when set, otherwise a private redis-server on a free port.`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return parsed;
}

class UsageError extends Error {}

function renderProgress(phase: string, done: number, total: number) {
  const width = 30;
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  process.stderr.write(
    `\r${phase.padEnd(26)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}   `,
  );
}

async function main(argv: string[]): Promise<number> {
  // The functions run on a newer Node.js LTS in Lambda; locally the SDK's notice about Node 20 is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      families: { type: 'string' },
      'events-file': { type: 'string' },
      'families-file': { type: 'string' },
      partitions: { type: 'string' },
      'batch-size': { type: 'string' },
      top: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'log-level': { type: 'string' },
      json: { type: 'boolean', default: false },
      kafka: { type: 'boolean', default: false },
      'keep-running': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values['keep-running'] && !values.kafka) {
    throw new UsageError(
      '--keep-running needs --kafka: only a real broker accepts records from other producers',
    );
  }
  const showProgress = !values.json && process.stderr.isTTY === true;
  const services = new LocalServices();
  const keepRunning = values['keep-running'] ? new AbortController() : undefined;
  const interrupt = () => {
    if (keepRunning?.signal.aborted === false) {
      // Ctrl-C ends a --keep-running run normally: the summary of everything consumed, then exit.
      process.stderr.write(
        '\nstopping: settling what was consumed, then the summary (Ctrl-C again to quit now)\n',
      );
      keepRunning.abort();
      process.once('SIGINT', interrupt);
      return;
    }
    process.stderr.write('\ninterrupted: stopping local services\n');
    void services.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', () => {
    keepRunning?.abort();
    interrupt();
  });
  const summary = await runPipeline(
    {
      events: positiveInt('events', values.events, 5_000),
      families: positiveInt('families', values.families, 40),
      eventsFile: values['events-file'],
      familiesFile: values['families-file'],
      partitions: positiveInt('partitions', values.partitions, 8),
      batchSize: positiveInt('batch-size', values['batch-size'], 500),
      top: positiveInt('top', values.top, 5),
      seed: positiveInt('seed', values.seed, 20261121),
      outDir: values.out ?? '.local',
      logLevel: values['log-level'] ?? 'SILENT',
      settleTimeoutMs: 60_000,
      kafka: values.kafka,
      keepRunning: keepRunning && {
        signal: keepRunning.signal,
        onReady: ({ summary, bootstrap, familiesFile }) => {
          if (showProgress) process.stderr.write('\n\n');
          process.stdout.write(`${values.json ? JSON.stringify(summary) : formatSummary(summary)}\n\n`);
          process.stderr.write(
            `consuming: produce to ${bootstrap} (topics: ${topicNames()}); the demo families are in ${familiesFile}. Ctrl-C stops.\n`,
          );
        },
        onCounters: (c) =>
          process.stderr.write(
            `${c.topic}: ${c.committed} committed, ${c.invocations} invocations, ${c.redelivered} redelivered, ` +
              `${c.failedInvocations} failed invocations, lag ${c.lag}\n`,
          ),
      },
      onProgress: showProgress ? renderProgress : undefined,
      onServiceStarted: (name, endpoint, pid) =>
        process.stderr.write(`started ${name} at ${endpoint}${pid ? ` (pid ${pid})` : ''}\n`),
    },
    services,
  );
  if (showProgress) process.stderr.write('\n\n');
  process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
  const healthy =
    summary.events.lost === 0 &&
    summary.consistency.status === 'consistent' &&
    summary.notifications.pending === 0;
  return healthy ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known =
      error instanceof UsageError ||
      error instanceof RedisUnavailableError ||
      error instanceof KafkaJarsMissingError ||
      error instanceof JavaUnavailableError ||
      String((error as { code?: string })?.code).startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`\nnpm start failed: ${(error as Error)?.message ?? String(error)}\n`);
    if (!known) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    process.exit(known ? 2 : 1);
  },
);
