import { Cluster, type Redis } from 'ioredis';
import { createRedisClient, type RedisClient } from '../../functions/adapters/redis/client';
import { resolveRedisCluster } from '../../local/services/redis-cluster';
import { uniqueSuffix } from '../helpers/local-aws';

/** host:port of a node as CLUSTER SLOTS and ioredis name it. */
const nodeName = (host: unknown, port: unknown) => `${String(host)}:${String(port)}`;

export function asCluster(client: RedisClient): Cluster {
  if (!(client instanceof Cluster)) throw new Error('expected an ioredis Cluster client');
  return client;
}

/** Resolves once the client has the slot map, so nodes('master') lists every master. */
function ready(client: Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('end', () => reject(new Error('cluster client ended before it was ready')));
  });
}

async function scanMaster(node: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/**
 * The test cluster (REDIS_CLUSTER_URL from .ci/run, or a private one), a
 * cluster client built the way production builds it, and a key prefix unique
 * to the caller. Connection errors are collected: a test expects none.
 * Cleanup deletes only keys under the prefix, on every master; never FLUSHALL.
 */
export async function startClusterEnv(label: string) {
  const server = await resolveRedisCluster();
  const connectionErrors: Error[] = [];
  const client = asCluster(
    createRedisClient({ url: server.seedUrl, cluster: true }, (e) => connectionErrors.push(e)),
  );
  await ready(client);
  const prefix = `test:${label}:${uniqueSuffix()}:`;
  const masters = () => client.nodes('master');

  return {
    server,
    client,
    prefix,
    connectionErrors,
    masters,
    /** The master (host:port) that owns each slot, from CLUSTER SLOTS. */
    async slotOwners(): Promise<(slot: number) => string> {
      const ranges = await client.cluster('SLOTS');
      return (slot) => {
        const master = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
        if (!master) throw new Error(`slot ${slot} is not served by any node`);
        return nodeName(master[0], master[1]);
      };
    },
    /** Keys under the prefix, grouped by the master that holds them. */
    async keysByMaster(): Promise<Map<string, string[]>> {
      const byMaster = new Map<string, string[]>();
      for (const node of masters()) {
        byMaster.set(nodeName(node.options.host, node.options.port), await scanMaster(node, prefix));
      }
      return byMaster;
    },
    async cleanup() {
      for (const node of masters()) {
        const keys = await scanMaster(node, prefix);
        // One key per UNLINK: a multi-key command across slots is CROSSSLOT even on one node.
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        await pipeline.exec();
      }
      await client.quit();
      await server.stop();
    },
  };
}

export type ClusterEnv = Awaited<ReturnType<typeof startClusterEnv>>;
