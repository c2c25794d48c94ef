import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { resolveRedis } from '../../local/services/redis-server';

const REPO_ROOT = new URL('../../', import.meta.url);

const ping = async (url: string) => {
  const redis = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true });
  try {
    await redis.connect();
    return await redis.ping();
  } finally {
    redis.disconnect();
  }
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the Redis of a test run', () => {
  it('is what every worker sees as REDIS_URL, and it answers', async () => {
    expect(process.env.REDIS_URL).toBe(inject('redisUrl'));
    expect(await ping(inject('redisUrl'))).toBe('PONG');
  });

  it.runIf(inject('redisPid') !== null)(
    'is a private, memory-only redis-server when REDIS_URL was not set',
    async () => {
      const pid = inject('redisPid') as number;
      // redis-server sets its title to "redis-server host:port".
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toMatch(/^redis-server 127\.0\.0\.1:\d+/);
      const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 0 });
      try {
        expect(await redis.config('GET', 'save')).toEqual(['save', '']);
        expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      } finally {
        redis.disconnect();
      }
    },
  );

  it('is started on a free port when none is given, and stopped by its pid', async () => {
    const redis = await resolveRedis(undefined);
    expect(redis.pid).toBeGreaterThan(0);
    expect(await ping(redis.endpoint)).toBe('PONG');

    await redis.stop();

    expect(isAlive(redis.pid as number)).toBe(false);
  });

  it('fails with one line naming the install command when redis-server is not installed', () => {
    // A PATH with node alone: no redis-server, no java.
    const bin = mkdtempSync(join(tmpdir(), 'node-only-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const { REDIS_URL: _unset, ...env } = process.env;

    const result = spawnSync(
      process.execPath,
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        '--project',
        'integration',
        'test/integration/test-setup-redis',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...env, PATH: bin, NO_COLOR: '1' } },
    );

    expect(result.status).toBe(1);
    const problems = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^npm test: Redis is needed: .*apt-get install -y redis-server/);
    expect(result.stdout).not.toMatch(/\n\s+at /);
  }, 60_000);
});
