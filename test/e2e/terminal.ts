import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** tmux drives a real terminal: a pseudo-terminal whose Ctrl-C reaches the foreground job. */
export function tmuxMissing(): string | false {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'tmux is not installed (Debian/Ubuntu: apt-get install -y tmux): the terminal tests need it';
  }
}

/**
 * A command in a detached tmux session on a private server: its stdout and
 * stderr go to files of `dir`, and its exit status to `dir/status` when it ends.
 */
export function openTerminal(dir: string, command: string) {
  const file = (name: string) => join(dir, name);
  // A server of its own, its socket in `dir`: nothing of the user's tmux is touched, nothing left in /tmp.
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', file('tmux.sock'), ...args], { stdio: 'pipe' });
  tmux(
    'new-session',
    '-d',
    '-s',
    'run',
    '-x',
    '200',
    '-y',
    '50',
    `${command} > ${file('stdout')} 2> ${file('stderr')}; echo $? > ${file('status')}`,
  );
  const read = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), 'utf8') : '');
  return {
    read,
    /** What a user's Ctrl-C does: the terminal sends SIGINT to its foreground process group. */
    ctrlC: () => tmux('send-keys', '-t', 'run', 'C-c'),
    /** The exit status, once the command ended. */
    status: () => (read('status') === '' ? null : Number(read('status').trim())),
    close: () => {
      try {
        tmux('kill-server');
      } catch {
        // Already gone with its last session.
      }
    },
  };
}

/** Polls `value` until it is not null. */
export async function until<T>(value: () => T | null, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = value();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
