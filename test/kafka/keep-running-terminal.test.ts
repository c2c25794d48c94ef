import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, reportedPids } from '../e2e/serve-session';
import { openTerminal, tmuxMissing, until } from '../e2e/terminal';

/**
 * `npm start -- --kafka --keep-running` in a real terminal (tmux): the
 * broker, DynamoDB Local and Redis survive the terminal's Ctrl-C until the
 * summary of everything consumed is printed, then are stopped by their pids.
 */
const skip = tmuxMissing();
let terminal: ReturnType<typeof openTerminal> | undefined;
afterEach(() => terminal?.close());

describe.skipIf(skip)(
  `npm start -- --kafka --keep-running in a terminal${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('prints the summary on Ctrl-C, stops the broker and every other service, and exits 0', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'us-terminal-kafka-'));
      terminal = openTerminal(
        dir,
        `cd ${process.cwd()} && env -u REDIS_URL npm start -- --kafka --keep-running --events 200 --families 5 --partitions 2 --out ${join(dir, 'out')}`,
      );
      await until(
        () => (terminal?.read('stderr').includes('consuming: produce to') ? true : null),
        'the broker to be consumed',
        240_000,
      );
      const pids = reportedPids(terminal.read('stderr'));
      // DynamoDB Local, redis-server and the Kafka broker.
      expect(pids).toHaveLength(3);

      terminal.ctrlC();
      const status = await until(() => terminal?.status() ?? null, 'npm start to exit', 120_000);

      expect(status).toBe(0);
      expect(terminal.read('stdout').match(/^Consistency .*: consistent$/gm)).toHaveLength(2);
      expect(terminal.read('stderr')).not.toContain('quitting now');
      expect(pids.filter(isAlive)).toEqual([]);
    }, 400_000);
  },
);
