import { UsageError } from '../cli/errors';
import { readFamilies } from '../cli/family-input';
import { checkOutputPath } from '../cli/input-file';
import { parseOptionArgs } from '../cli/option-parser';
import { checkFamiliesExist, readEventLines } from './events-file';
import * as correction from './examples/correction';
import * as limitLowered from './examples/limit-lowered';
import * as topup from './examples/topup';
import type { PipelineOptions } from './pipeline';
import { DEMO_WORKLOAD } from './workload/generate';

/** Powertools' levels, case-insensitive as Powertools reads them. */
const LOG_LEVELS = ['SILENT', 'CRITICAL', 'ERROR', 'WARN', 'INFO', 'DEBUG'] as const;

const EXAMPLES = { 'limit-lowered': limitLowered, topup, correction } as const;

function exampleNamed(name: string) {
  const example = EXAMPLES[name as keyof typeof EXAMPLES];
  if (!example)
    throw new UsageError(`--example must be one of ${Object.keys(EXAMPLES).join(', ')}, got "${name}"`);
  return example;
}

export const USAGE = `Usage: npm start -- [options]

Runs the whole pipeline locally: DynamoDB Local, Redis, an SQS dead-letter
queue emulator and a notification sink, with the real handlers invoked by a
simulation of the MSK and DynamoDB-stream event source mappings.

Options:
  --kafka             a real single-node Apache Kafka broker (needs a JDK 17+ and,
                      the first time, Maven: see docs/kafka-harness.md) instead of
                      the in-process topics; prints its bootstrap address
  --keep-running      with --kafka: keep consuming after the workload, for your own
                      producers, until Ctrl-C; then print the summary of everything
  --serve             after the workload keep every service up until Ctrl-C (with
                      --kafka, consuming too): the usage API on a local port
                      (API_URL=...) and the variables that point the operator CLI
                      at this run (export lines, also in the run's env.sh); Ctrl-C
                      prints the summary of everything and stops the services
  --redis-outage      kill the private redis-server a third into the usage events and
                      start it again, empty, two thirds in: the batches in between are
                      decided from DynamoDB alone (degraded mode); the summary counts both
  --events N          events to generate (default 5000)
  --families N        demo families to generate (default 40)
  --events-file F     read events from a JSONL file instead, one per line, in the order
                      they were published: usage events, and policy and family events
                      (routed by eventType to their own topics); a change takes effect
                      for the events after it (lines that are not valid events are
                      rejected to the dead-letter file)
  --families-file F   read families from a JSON file instead: one family or an array
                      (the format of 'npx usage-settlement family put'); without it the
                      demo families are loaded, and an --events-file whose usage events
                      name none of them (nor a family the file creates) is refused
  --example NAME      a shipped scenario instead of generated data: ${Object.keys(EXAMPLES).join(', ')}
                      (its events are written to the run's directory as events.jsonl)
  --partitions N      Kafka partitions (default 8)
  --batch-size N      records per handler invocation (default 500)
  --top N             families shown in the summary (default 5)
  --seed N            seed of the generated workload (default 20261121): one seed on one
                      day generates the same events, dated the day before, and the same
                      summary but for its timings (and, with --redis-outage, which store
                      decided each event)
  --out DIR           where dead letters and notifications are written (default .local)
  --log-level L       handler log level: ${LOG_LEVELS.join(', ')} (default SILENT)
  --json              print the summary as one JSON object on stdout
  --json-out F        also write the summary as JSON to the file F
  -h, --help          this text

For jq, keep npm's own lines off stdout: npm start --silent -- --json | jq .
Redis: REDIS_URL when set, otherwise a private redis-server on a free port.`;

export type StartOptions = Omit<
  PipelineOptions,
  'settleTimeoutMs' | 'onProgress' | 'onServiceStarted' | 'onNotice' | 'keepRunning'
>;

export type StartCommand =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly pipeline: StartOptions;
      readonly json: boolean;
      readonly jsonOut: string | undefined;
      /** Until interrupted: with a broker, keep consuming for other producers; with serve, keep serving. */
      readonly keepRunning: boolean;
      /** The usage API and the CLI's variables, the services kept up. */
      readonly serve: boolean;
    };

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return parsed;
}

function logLevel(value: string | undefined): string {
  if (value === undefined) return 'SILENT';
  const level = LOG_LEVELS.find((l) => l === value.toUpperCase());
  if (!level) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return level;
}

const OPTIONS = {
  events: { type: 'string' },
  families: { type: 'string' },
  'events-file': { type: 'string' },
  'families-file': { type: 'string' },
  example: { type: 'string' },
  partitions: { type: 'string' },
  'batch-size': { type: 'string' },
  top: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  'log-level': { type: 'string' },
  json: { type: 'boolean', default: false },
  'json-out': { type: 'string' },
  kafka: { type: 'boolean', default: false },
  'keep-running': { type: 'boolean', default: false },
  serve: { type: 'boolean', default: false },
  'redis-outage': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/**
 * The command line of `npm start`, every value and file checked, and the
 * input files read, before any service starts: a mistake costs no JVM start
 * and is one line with exit code 2.
 */
export function parseStartCommand(argv: string[]): StartCommand {
  const { values } = parseOptionArgs(argv, OPTIONS);
  if (values.help) return { help: true };
  if (values['redis-outage'] && process.env.REDIS_URL) {
    throw new UsageError('--redis-outage kills a private redis-server: unset REDIS_URL to use one');
  }
  if (values['keep-running'] && !values.kafka) {
    throw new UsageError(
      '--keep-running needs --kafka: only a real broker accepts records from other producers ' +
        '(--serve keeps the services up without one)',
    );
  }
  const outDir = values.out ?? '.local';
  checkOutputPath('--out', outDir, 'directory');
  const jsonOut = values['json-out'];
  if (jsonOut !== undefined) checkOutputPath('--json-out', jsonOut, 'file');
  const familiesFile = values['families-file'];
  const eventsFile = values['events-file'];
  const example = values.example === undefined ? undefined : exampleNamed(values.example);
  if (example && (familiesFile !== undefined || eventsFile !== undefined)) {
    throw new UsageError(
      '--example brings its own families and events: leave out --families-file and --events-file',
    );
  }
  const families = positiveInt('families', values.families, 40);
  const familyList = familiesFile === undefined ? undefined : readFamilies(familiesFile, '--families-file');
  const eventLines = eventsFile === undefined ? undefined : readEventLines(eventsFile);
  if (eventsFile !== undefined && eventLines !== undefined && familyList === undefined) {
    checkFamiliesExist(eventsFile, eventLines, { first: DEMO_WORKLOAD.firstFamilyId, count: families });
  }
  return {
    help: false,
    json: values.json,
    jsonOut,
    keepRunning: values['keep-running'] || values.serve,
    serve: values.serve,
    pipeline: {
      kafka: values.kafka,
      redisOutage: values['redis-outage'],
      events: positiveInt('events', values.events, 5_000),
      families,
      partitions: positiveInt('partitions', values.partitions, 8),
      batchSize: positiveInt('batch-size', values['batch-size'], 500),
      top: positiveInt('top', values.top, 5),
      seed: positiveInt('seed', values.seed, 20261121),
      logLevel: logLevel(values['log-level']),
      outDir,
      ...(familyList === undefined ? {} : { familyList }),
      ...(eventLines === undefined ? {} : { eventLines }),
      ...(example === undefined
        ? {}
        : { familyList: example.families, eventLines: example.lines(Date.now()) }),
    },
  };
}
