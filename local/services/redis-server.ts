import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import type { LocalService } from './dynamodb-local';
import { freePort, waitFor } from './free-port';
import { installed, PrerequisiteError } from './prerequisites';

export class RedisUnavailableError extends PrerequisiteError {}

export function redisServerInstalled(): boolean {
  return installed('redis-server', ['--version']);
}

async function answersPing(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } finally {
    probe.disconnect();
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A private, memory-only redis-server on a free port (or the given one), stopped by its own pid. */
export async function startPrivateRedis(extraArgs: string[] = [], atPort?: number): Promise<LocalService> {
  if (!redisServerInstalled()) {
    throw new RedisUnavailableError(
      'Redis is needed: set REDIS_URL to a running Redis (e.g. redis://127.0.0.1:6379), ' +
        'or install redis-server (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).',
    );
  }
  const port = atPort ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
    // Its own process group: a terminal's Ctrl-C reaches npm start only, which stops this by its pid.
    { stdio: 'ignore', detached: true },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const endpoint = `redis://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
        return answersPing(endpoint);
      },
      'redis-server',
      10_000,
    );
  } catch (error) {
    await stop(child);
    throw error;
  }
  return {
    endpoint,
    pid: child.pid,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stop(child);
    },
  };
}

/** REDIS_URL when given and answering; otherwise a private redis-server. */
export async function resolveRedis(url: string | undefined): Promise<LocalService> {
  if (url) {
    if (!(await answersPing(url).catch(() => false))) {
      throw new RedisUnavailableError(`REDIS_URL=${url} does not answer PING`);
    }
    return { endpoint: url, pid: undefined, stop: async () => undefined };
  }
  return startPrivateRedis();
}

/**
 * A private redis-server that can be killed and started again on the same
 * port, as a cache node that fails and comes back (empty: it keeps nothing on
 * disk). Clients keep their URL and reconnect on their own.
 */
export class RestartableRedis {
  private current: LocalService | null = null;

  private constructor(readonly endpoint: string) {}

  static async start(): Promise<RestartableRedis> {
    const first = await startPrivateRedis();
    const redis = new RestartableRedis(first.endpoint);
    redis.current = first;
    return redis;
  }

  get running(): boolean {
    return this.current !== null;
  }

  /** Kills the server at once (its data is gone). */
  async kill(): Promise<void> {
    const server = this.current;
    this.current = null;
    await server?.stop();
  }

  /** Starts a fresh, empty server on the same port. */
  async restart(): Promise<void> {
    if (this.current) return;
    this.current = await startPrivateRedis([], Number(new URL(this.endpoint).port));
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
