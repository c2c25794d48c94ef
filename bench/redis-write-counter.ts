import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisClient } from '../functions/adapters/redis/client';

/**
 * Counts the writes a Redis client makes to its socket. ioredis writes a
 * pipeline (auto-pipelining groups the commands issued in one tick) or a
 * lone command with one write and then waits for the replies, so a write is
 * one round trip, however many TCP segments it takes.
 */
export class RedisWriteCounter {
  private writes = 0;

  constructor(client: RedisClient) {
    if (!(client instanceof Redis)) throw new Error('the bench counts writes of a single-node client only');
    const patch = () => {
      const socket = (client as unknown as { stream?: Socket }).stream;
      if (!socket || (socket as { benchCounted?: boolean }).benchCounted) return;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      Object.assign(socket, {
        benchCounted: true,
        write: (...args: unknown[]) => {
          this.writes++;
          return write(...args);
        },
      });
    };
    client.on('connect', patch);
    patch();
  }

  /** Writes since the last call. */
  take(): number {
    const taken = this.writes;
    this.writes = 0;
    return taken;
  }
}
