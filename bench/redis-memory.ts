import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client';
import { mean } from './stats';

export interface RedisMemoryReading {
  /** INFO memory used_memory: everything the server holds, its own overhead included. */
  readonly usedBytes: number;
  readonly keys: number;
}

export interface KeyBytes {
  /** Keys of the pattern. */
  readonly count: number;
  /** Mean MEMORY USAGE (exact: SAMPLES 0) of up to `sampled` keys of the pattern. */
  readonly meanBytes: number;
  readonly sampled: number;
}

/** Readings of the run's private redis-server, straight, not through the latency proxy. */
export class RedisMemory {
  private constructor(private readonly client: RedisClient) {}

  static open(endpoint: string): RedisMemory {
    return new RedisMemory(createRedisClient({ url: endpoint, cluster: false }));
  }

  async read(): Promise<RedisMemoryReading> {
    const info = String(await this.client.info('memory'));
    const used = /used_memory:(\d+)/.exec(info)?.[1];
    return { usedBytes: Number(used ?? 0), keys: Number(await this.client.dbsize()) };
  }

  /** Key size by kind: settled marks (one per event for the dedup window) and period states (one per family and period). */
  async keyBytes(pattern: string, limit = 300): Promise<KeyBytes> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const sizes: number[] = [];
    for (const key of keys.slice(0, limit)) {
      const bytes = await this.client.memory('USAGE', key, 'SAMPLES', 0);
      if (typeof bytes === 'number') sizes.push(bytes);
    }
    return { count: keys.length, meanBytes: sizes.length > 0 ? mean(sizes) : 0, sampled: sizes.length };
  }

  close(): void {
    this.client.disconnect();
  }
}
