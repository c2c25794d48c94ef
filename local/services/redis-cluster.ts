import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './free-port';
import { RedisUnavailableError, redisServerInstalled } from './redis-server';
import { stopChild } from './stop-child';

const run = promisify(execFile);

/** Every cluster node also listens on its client port + 10000 for the cluster bus (gossip). */
const BUS_PORT_OFFSET = 10_000;
const MAX_CLIENT_PORT = 65_535 - BUS_PORT_OFFSET;
const START_ATTEMPTS = 3;

export interface RedisCluster {
  /** One node's URL; a cluster client discovers the others from it. */
  readonly seedUrl: string;
  readonly ports: ReadonlyArray<number>;
  /** Empty when the cluster was started by someone else (REDIS_CLUSTER_URL). */
  readonly pids: ReadonlyArray<number>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  readonly masters?: number;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Client ports whose bus ports are free too and collide with no other node's ports. */
async function clusterPorts(count: number): Promise<number[]> {
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 500) throw new Error(`no ${count} free port pairs (p, p+${BUS_PORT_OFFSET}) found`);
    const port = await freePort();
    const bus = port + BUS_PORT_OFFSET;
    if (port >= MAX_CLIENT_PORT || taken.has(port) || taken.has(bus) || !(await canListen(bus))) continue;
    ports.push(port);
    taken.add(port);
    taken.add(bus);
  }
  return ports;
}

async function clusterInfo(url: string): Promise<string> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return String(await probe.cluster('INFO'));
  } finally {
    probe.disconnect();
  }
}

const clusterReady = async (url: string) => /^cluster_state:ok\r?$/m.test(await clusterInfo(url));

function logTail(dir: string, port: number): string {
  try {
    return readFileSync(join(dir, `${port}.log`), 'utf8')
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

function startNode(port: number, dir: string): ChildProcess {
  const args = [
    ['--port', String(port)],
    ['--bind', '127.0.0.1'],
    ['--cluster-enabled', 'yes'],
    ['--cluster-config-file', join(dir, `nodes-${port}.conf`)],
    ['--cluster-node-timeout', '2000'],
    ['--save', ''],
    ['--appendonly', 'no'],
    ['--dir', dir],
    ['--logfile', join(dir, `${port}.log`)],
  ].flat();
  return spawn('redis-server', args, { stdio: 'ignore' });
}

async function startOnce(masters: number): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports = await clusterPorts(masters);
  const children = ports.map((port) => startNode(port, dir));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // A crashed test run must not leave cluster nodes behind: kill them by pid on exit.
  const killOnExit = () => {
    for (const child of children) child.kill('SIGKILL');
    removeDir();
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await Promise.all(children.map((child) => stopChild(child)));
    removeDir();
  };
  const urls = ports.map((port) => `redis://127.0.0.1:${port}`);
  try {
    await Promise.all(
      children.map((child, i) =>
        waitFor(
          async () => {
            if (child.exitCode !== null) {
              throw new Error(`redis-server on ${ports[i]} exited: ${logTail(dir, ports[i] ?? 0)}`);
            }
            return (await clusterInfo(urls[i] ?? '')).includes('cluster_state:');
          },
          `cluster node on port ${ports[i]}`,
          10_000,
        ),
      ),
    );
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    // Each node must have learned the whole slot map, not just the node redis-cli talked to last.
    await Promise.all(urls.map((url) => waitFor(() => clusterReady(url), `cluster_state:ok on ${url}`)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    seedUrl: urls[0] ?? '',
    ports,
    pids: children.map((child) => child.pid ?? -1),
    stop,
  };
}

/**
 * A private Redis Cluster of `masters` memory-only masters (no replicas) on
 * free ports, joined with `redis-cli --cluster create`. Every node is stopped
 * by its own pid. A port can be taken between choosing and binding it, so a
 * failed start is retried on new ports.
 */
export async function startRedisCluster({ masters = 3 }: RedisClusterOptions = {}): Promise<RedisCluster> {
  if (!redisServerInstalled()) {
    throw new RedisUnavailableError(
      'Redis Cluster tests need redis-server and redis-cli (Debian/Ubuntu: apt-get install redis-server), ' +
        'or REDIS_CLUSTER_URL pointing at a running cluster node.',
    );
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(masters);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** The cluster REDIS_CLUSTER_URL names (started by .ci/run) when set; otherwise a private one. */
export async function resolveRedisCluster(
  url: string | undefined = process.env.REDIS_CLUSTER_URL,
  options: RedisClusterOptions = {},
): Promise<RedisCluster> {
  if (!url) return startRedisCluster(options);
  if (!(await clusterReady(url).catch(() => false))) {
    throw new RedisUnavailableError(
      `REDIS_CLUSTER_URL=${url} is not a Redis Cluster node with cluster_state:ok`,
    );
  }
  const port = Number(new URL(url).port || 6379);
  return { seedUrl: url, ports: [port], pids: [], stop: async () => undefined };
}
