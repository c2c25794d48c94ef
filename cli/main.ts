import { core } from 'zod/mini';
import { describeError } from '../functions/core/errors';
import { ConfigError } from '../functions/runtime/config';
import { explainAwsError } from './aws-errors';
import { BIN, type Command } from './command';
import { batchCommands } from './commands/batches';
import { cacheCommands } from './commands/cache';
import { dlqCommands } from './commands/dlq';
import { familyCommands } from './commands/family';
import { outboxCommands } from './commands/outbox';
import { policyCommands } from './commands/policy';
import { reconcileCommands } from './commands/reconcile';
import { usageCommands } from './commands/usage';
import { CliContext } from './context';
import { EXIT, OperationError, UsageError } from './errors';
import type { CliIo } from './output';

export const COMMANDS: ReadonlyArray<Command> = [
  ...familyCommands,
  ...policyCommands,
  ...outboxCommands,
  ...dlqCommands,
  ...batchCommands,
  ...cacheCommands,
  ...reconcileCommands,
  ...usageCommands,
];

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

/** Shown by every --help: a missing variable is reported with a pointer to it. */
/** The longest command path and a space: the summaries line up in one column. */
const PATH_WIDTH = Math.max(...COMMANDS.map((c) => c.path.length)) + 1;

const CONFIG_HELP = `Configuration (environment variables; a command reads only what it uses):
  AWS_REGION              the stack's region, e.g. ap-northeast-2 (required)
  AWS_PROFILE             credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
  LEDGER_TABLE_NAME       the stack's output LedgerTableName (required)
  OUTBOX_TABLE_NAME       the stack's output OutboxTableName (outbox, replays, changes)
  DEAD_LETTER_QUEUE_URL   the stack's output RejectedEventsQueueUrl (dlq, batches replay)
  FAILED_BATCHES_QUEUE_URL the stack's output FailedBatchesQueueUrl, or FailedChangeBatchesQueueUrl
                          for policy and family batches (batches replay)
  ARCHIVE_DATABASE, ARCHIVE_TABLE, ARCHIVE_WORKGROUP
                          the stack's outputs of the same names (usage settlements, through Athena)
  ARCHIVE_DIR             a local run's archive folder instead (.local/<run>/archive)
  REDIS_URL, REDIS_CLUSTER, REDIS_KEY_PREFIX, REDIS_AUTH_SECRET_ARN
                          Redis, as the functions reach it (commands that refresh or read it)
  DYNAMODB_ENDPOINT, SQS_ENDPOINT
                          local emulators instead of AWS
  SETTLEMENT_TIME_ZONE    zone of periods and times (default Asia/Seoul)
docs/operations.md lists every variable.`;

const TOP_HELP = `Usage: ${BIN} <command> [options]

Operator commands for usage-settlement. They read the same configuration as
the functions, from the environment.

Commands:
${COMMANDS.map((c) => `  ${c.path.padEnd(PATH_WIDTH)} ${c.summary}`).join('\n')}

${CONFIG_HELP}

Run '${BIN} <command> --help' for a command's options.
Exit codes: 0 ok, 1 operation failed or drift found, 2 bad input or configuration.`;

function helpOf(command: Command): string {
  return `Usage: ${BIN} ${command.usage}\n\n${command.help}\n\n${CONFIG_HELP}\n`;
}

/** The command named by the first one or two words, and the arguments after them. */
function resolve(
  argv: ReadonlyArray<string>,
): { command: Command; rest: string[] } | { group: string } | null {
  const [first = '', second = ''] = argv;
  const two = COMMANDS.find((c) => c.path === `${first} ${second}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.path === first);
  if (one) return { command: one, rest: argv.slice(1) };
  return COMMANDS.some((c) => c.path.startsWith(`${first} `)) ? { group: first } : null;
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.path.startsWith(`${group} `));
  return `Usage: ${BIN} ${group} <command> [options]\n\nCommands:\n${commands
    .map((c) => `  ${c.path.padEnd(PATH_WIDTH)} ${c.summary}`)
    .join('\n')}\n\nRun '${BIN} ${group} <command> --help' for a command's options.\n`;
}

/**
 * Runs one command line. Output goes to `io`; the result is the exit code.
 * Never throws: every failure becomes one line on stderr.
 */
export async function run(argv: ReadonlyArray<string>, io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined || isHelp(first) || first === 'help') {
    (first === undefined ? io.stderr : io.stdout)(`${TOP_HELP}\n`);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  const target = resolve(argv);
  if (target === null) {
    return usageFailure(io, `unknown command "${first}"`, '');
  }
  if ('group' in target) {
    const sub = argv[1];
    if (sub !== undefined && isHelp(sub)) {
      io.stdout(groupHelp(target.group));
      return EXIT.ok;
    }
    const what = sub === undefined ? 'a command is required' : `unknown command "${target.group} ${sub}"`;
    return usageFailure(io, what, target.group);
  }
  const { command, rest } = target;
  if (rest.some(isHelp)) {
    io.stdout(helpOf(command));
    return EXIT.ok;
  }
  const ctx = new CliContext(io);
  try {
    return await command.run(rest, ctx);
  } catch (error) {
    return failure(io, error, command.path);
  } finally {
    await ctx.close();
  }
}

function usageFailure(io: CliIo, message: string, path: string, what = 'usage'): number {
  const help = path === '' ? `${BIN} --help` : `${BIN} ${path} --help`;
  io.stderr(`${BIN}: ${message}\nRun '${help}' for ${what}.\n`);
  return EXIT.usage;
}

function failure(io: CliIo, error: unknown, path: string): number {
  if (error instanceof UsageError) return usageFailure(io, error.message, path);
  if (error instanceof core.$ZodError) {
    const details = error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
    return usageFailure(io, details, path);
  }
  if (error instanceof ConfigError) return usageFailure(io, error.message, path, 'its configuration');
  if (error instanceof OperationError) {
    io.stderr(`${BIN}: ${error.message}\n`);
    return EXIT.failed;
  }
  // After OperationError: its message says what was done before the failure, which must not be lost.
  const misconfigured = explainAwsError(error, io.env);
  if (misconfigured !== null) return usageFailure(io, misconfigured, path, 'its configuration');
  io.stderr(`${BIN}: ${path} failed: ${describeError(error)}\n`);
  return EXIT.failed;
}

/** The process entry point used by the bin launcher. */
export async function main(): Promise<void> {
  // `... | head` closes the pipe early: stop quietly instead of crashing with EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  process.exitCode = await run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
}
