import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../cli/errors';
import { formatSummary } from './format-summary';
import { TOPICS } from './kafka/topics';
import { exportLines, LocalServices, runPipeline } from './pipeline';
import { progressBar, progressLines } from './progress';
import { PrerequisiteError } from './services/prerequisites';
import { parseStartCommand, USAGE } from './start-options';

// The functions run on a newer Node.js LTS in Lambda; locally the SDK's notice about Node 20 is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Under `npm start` one Ctrl-C arrives twice: from the terminal, and forwarded
 * by npm to its script a moment later. Within this time it is the same one.
 */
const SAME_CTRL_C_MS = 1_000;

/** Exit codes: 0 healthy run, 1 something lost, pending or inconsistent (or a bug), 2 the user's input or setup. */
const EXIT = { ok: 0, unhealthy: 1, usage: 2 } as const;

async function main(argv: string[]): Promise<number> {
  const command = parseStartCommand(argv);
  if (command.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const toStderr = (text: string) => void process.stderr.write(text);
  // On a terminal a bar, redrawn in place (not under --json, whose reader has the terminal);
  // into a pipe, where nobody sees a bar, a line every few seconds.
  const showBar = !command.json && process.stderr.isTTY === true;
  const progress =
    process.stderr.isTTY !== true ? progressLines(toStderr) : showBar ? progressBar(toStderr) : undefined;
  const services = new LocalServices();
  const keepRunning = command.keepRunning ? new AbortController() : undefined;
  // The services run in process groups of their own (the terminal's Ctrl-C reaches this process
  // only), so this handler decides: a first Ctrl-C ends a kept-up run with its summary, or stops an
  // unfinished one; a second exits at once, the services killed by their pids on the way out.
  const interrupt = () => {
    if (keepRunning?.signal.aborted === false) {
      process.stderr.write(
        '\nstopping: settling what was consumed, then the summary (Ctrl-C again to quit now)\n',
      );
      keepRunning.abort();
      return;
    }
    process.stderr.write('\ninterrupted: stopping local services (Ctrl-C again to quit now)\n');
    void services.stopAll().finally(() => process.exit(130));
  };
  let firstInterruptAt: number | undefined;
  process.on('SIGINT', () => {
    const now = Date.now();
    if (firstInterruptAt === undefined) {
      firstInterruptAt = now;
      interrupt();
    } else if (now - firstInterruptAt > SAME_CTRL_C_MS) {
      process.stderr.write('\nquitting now\n');
      process.exit(130);
    }
  });
  process.once('SIGTERM', () => {
    keepRunning?.abort();
    interrupt();
  });
  // The terminal closed: the services, out of its process group, would outlive it. Exiting kills them by pid.
  process.once('SIGHUP', () => process.exit(129));
  const summary = await runPipeline(
    {
      ...command.pipeline,
      serve: command.serve,
      settleTimeoutMs: 60_000,
      keepRunning: keepRunning && {
        signal: keepRunning.signal,
        onReady: ({ summary, bootstrap, familiesFile, serving }) => {
          if (showBar) process.stderr.write('\n\n');
          process.stdout.write(`${command.json ? JSON.stringify(summary) : formatSummary(summary)}\n\n`);
          if (serving) {
            // Under --json stdout is the summary's: the lines go to stderr there.
            const out = command.json ? process.stderr : process.stdout;
            out.write(
              `API_URL=${serving.apiUrl}\n` +
                `# the operator CLI against this run (also in ${serving.environmentFile}):\n` +
                exportLines(serving.environment),
            );
          }
          process.stderr.write(
            bootstrap
              ? `consuming: produce to ${bootstrap} (topics: ${TOPICS.map((t) => t.name).join(', ')}); ` +
                  `the demo families are in ${familiesFile}. Ctrl-C stops.\n`
              : `serving until Ctrl-C; the demo families are in ${familiesFile}\n`,
          );
        },
        onCounters: (c) =>
          process.stderr.write(
            `${c.topic}: ${c.committed} committed, ${c.invocations} invocations, ${c.redelivered} redelivered, ` +
              `${c.failedInvocations} failed invocations, lag ${c.lag}\n`,
          ),
      },
      onProgress: progress,
      onNotice: (message) => process.stderr.write(`${showBar ? '\n' : ''}${message}\n`),
      onServiceStarted: (name, endpoint, pid) =>
        process.stderr.write(`started ${name} at ${endpoint}${pid ? ` (pid ${pid})` : ''}\n`),
    },
    services,
  );
  if (showBar) process.stderr.write('\n\n');
  if (command.jsonOut !== undefined) {
    mkdirSync(dirname(command.jsonOut), { recursive: true });
    writeFileSync(command.jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
  }
  process.stdout.write(command.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
  const healthy =
    summary.events.lost === 0 &&
    summary.consistency.status === 'consistent' &&
    summary.notifications.pending === 0;
  return healthy ? EXIT.ok : EXIT.unhealthy;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // The user's input or machine: one line. Anything else is a bug: its stack helps.
    if (error instanceof UsageError || error instanceof PrerequisiteError) {
      process.stderr.write(`npm start: ${error.message}\n`);
      process.exit(EXIT.usage);
    }
    process.stderr.write(`\nnpm start failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(EXIT.unhealthy);
  },
);
