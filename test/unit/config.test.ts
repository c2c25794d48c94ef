import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/runtime/config';

function configErrorFor(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected loadConfig to fail for ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    // Act
    const config = loadConfig({});

    // Assert
    expect(config.settlement).toEqual({
      timeZone: 'Asia/Seoul',
      futureSkewMs: 300_000,
      maxBytesPerEvent: 10 * 1024 ** 3,
      dedupWindowSeconds: 600,
      fateRetentionDays: 35,
      clockMarginMs: 60_000,
      globalPolicyRefreshMs: 60_000,
    });
    expect(config.outbox).toMatchObject({ maxAttempts: 5, backoffBaseMs: 60_000, backoffCapMs: 960_000 });
    expect(config.notificationSource).toBe('usage-settlement');
    expect(config.notificationLocale).toBe('ko');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', cluster: false, keyPrefix: 'us:' });
    expect(config.deadLetterQueueUrl).toBeUndefined();
  });

  it('publishes no usage snapshots unless USAGE_SNAPSHOTS says true, then to usage-realtime with MSK IAM', () => {
    expect(loadConfig({}).usageSnapshots).toEqual({
      enabled: false,
      topic: 'usage-realtime',
      bootstrapBrokers: [],
      kafkaIamAuth: true,
    });
    expect(
      loadConfig({
        USAGE_SNAPSHOTS: 'true',
        KAFKA_BOOTSTRAP_BROKERS: 'b-1:9098,b-2:9098',
        KAFKA_IAM_AUTH: 'false',
      }).usageSnapshots,
    ).toMatchObject({ enabled: true, bootstrapBrokers: ['b-1:9098', 'b-2:9098'], kafkaIamAuth: false });
    expect(configErrorFor({ USAGE_SNAPSHOTS: 'no' }).message).toMatch(/USAGE_SNAPSHOTS/);
    expect(configErrorFor({ KAFKA_BOOTSTRAP_BROKERS: 'b-1' }).message).toMatch(
      /KAFKA_BOOTSTRAP_BROKERS: host:port/,
    );
    expect(configErrorFor({ USAGE_SNAPSHOT_TOPIC: 'a topic' }).message).toMatch(/USAGE_SNAPSHOT_TOPIC/);
  });

  it('keeps event fates 35 days after the following period by default, and never less than the replay bound allows', () => {
    expect(loadConfig({}).settlement.fateRetentionDays).toBe(35);
    expect(loadConfig({ SETTLEMENT_RETENTION_DAYS: '32' }).settlement.fateRetentionDays).toBe(32);
    expect(configErrorFor({ SETTLEMENT_RETENTION_DAYS: '31' }).message).toMatch(/SETTLEMENT_RETENTION_DAYS/);
  });

  it('returns a frozen object, nested sections included', () => {
    const config = loadConfig({});

    expect(Object.isFrozen(config)).toBe(true);
    for (const section of [
      config.settlement,
      config.outbox,
      config.redis,
      config.tables,
      config.processing,
    ]) {
      expect(Object.isFrozen(section)).toBe(true);
    }
    expect(() => {
      (config.settlement as { timeZone: string }).timeZone = 'UTC';
    }).toThrow(TypeError);
  });

  it('treats an empty string as unset', () => {
    const config = loadConfig({
      SETTLEMENT_TIME_ZONE: '',
      FAMILY_CONCURRENCY: '',
      REDIS_URL: '',
      DEDUP_WINDOW_SECONDS: '',
      DEAD_LETTER_QUEUE_URL: '',
    });

    expect(config.settlement.timeZone).toBe('Asia/Seoul');
    expect(config.processing.familyConcurrency).toBe(16);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.settlement.dedupWindowSeconds).toBe(600);
    expect(config.deadLetterQueueUrl).toBeUndefined();
  });
});

describe('loadConfig with values', () => {
  it('refuses a dedup window no longer than the clock margin: every record would need the ledger', () => {
    expect(() => loadConfig({ DEDUP_WINDOW_SECONDS: '60', CLOCK_MARGIN_SECONDS: '60' })).toThrow(
      /DEDUP_WINDOW_SECONDS \(60\) must exceed CLOCK_MARGIN_SECONDS \(60\)/,
    );
  });

  it('reads and converts valid values (seconds to milliseconds where documented)', () => {
    const config = loadConfig({
      SETTLEMENT_TIME_ZONE: 'UTC',
      FAMILY_CONCURRENCY: '32',
      DEDUP_WINDOW_SECONDS: '86400',
      OUTBOX_BACKOFF_BASE_SECONDS: '30',
      OUTBOX_BACKOFF_CAP_SECONDS: '480',
      FUTURE_SKEW_SECONDS: '60',
      REDIS_URL: 'rediss://cache.example:6380',
      REDIS_CLUSTER: 'true',
      NOTIFICATION_LOCALE: 'en',
    });

    expect(config.settlement).toMatchObject({
      timeZone: 'UTC',
      dedupWindowSeconds: 86_400,
      futureSkewMs: 60_000,
    });
    expect(config.processing.familyConcurrency).toBe(32);
    expect(config.outbox).toMatchObject({ backoffBaseMs: 30_000, backoffCapMs: 480_000 });
    expect(config.redis).toMatchObject({ url: 'rediss://cache.example:6380', cluster: true });
    expect(config.notificationLocale).toBe('en');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads REDIS_CLUSTER=%s as %s', (value, expected) => {
    expect(loadConfig({ REDIS_CLUSTER: value }).redis.cluster).toBe(expected);
  });
});

describe('loadConfig rejects invalid values with a ConfigError naming the variable', () => {
  it.each([
    ['SETTLEMENT_TIME_ZONE', 'Mars/Base'],
    ['FAMILY_CONCURRENCY', '0'],
    ['FAMILY_CONCURRENCY', '257'],
    ['FAMILY_CONCURRENCY', '2.5'],
    ['REDIS_URL', 'http://x'],
    ['REDIS_CLUSTER', 'yes'],
    ['DEDUP_WINDOW_SECONDS', 'abc'],
    ['DEDUP_WINDOW_SECONDS', '60'],
    ['OUTBOX_MAX_ATTEMPTS', '-1'],
    ['NOTIFICATION_LOCALE', 'fr'],
    ['DEAD_LETTER_QUEUE_URL', 'not a url'],
  ])('%s=%s', (name, value) => {
    // Act
    const error = configErrorFor({ [name]: value });

    // Assert
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(name);
  });

  it('names every invalid variable at once', () => {
    const error = configErrorFor({ SETTLEMENT_TIME_ZONE: 'Mars/Base', FAMILY_CONCURRENCY: '0' });

    expect(error.message).toContain('SETTLEMENT_TIME_ZONE');
    expect(error.message).toContain('FAMILY_CONCURRENCY');
  });
});
