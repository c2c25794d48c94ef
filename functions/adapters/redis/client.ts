import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface RedisConnection {
  readonly url: string;
  readonly cluster: boolean;
  readonly password?: string;
}

/**
 * A Redis or Redis Cluster client from a URL. Commands fail fast instead of
 * queueing forever while disconnected: the handler's retry and the Kafka
 * redelivery are the recovery, not an unbounded in-memory queue.
 */
export function createRedisClient(
  { url, cluster, password }: RedisConnection,
  onConnectionError: (error: Error) => void = () => {},
): RedisClient {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'rediss:' ? {} : undefined;
  const common: RedisOptions = {
    password: password ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    tls,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    enableAutoPipelining: true,
  };
  const port = Number(parsed.port || 6379);
  const client = cluster
    ? clusterClient()
    : new Redis({ ...common, host: parsed.hostname, port, db: database() });
  // Failed commands reject on their own; the event only reports the connection's state.
  client.on('error', onConnectionError);
  return client;

  function database() {
    return parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  }

  function clusterClient() {
    return new Cluster([{ host: parsed.hostname, port }], {
      redisOptions: common,
      dnsLookup: (address, callback) => callback(null, address),
      slotsRefreshTimeout: 2_000,
    });
  }
}
