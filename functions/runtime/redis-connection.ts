import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { createRedisClient, type RedisClient } from '../adapters/redis/client';
import type { Config } from './config';
import { ConfigError } from './config';
import { ENV } from './env';

/**
 * Connects to Redis as configured. In AWS the auth token lives in Secrets
 * Manager and is read once per container; locally the URL carries everything.
 */
export async function connectRedis(
  config: Config,
  onConnectionError: (error: Error) => void,
  env = process.env,
): Promise<RedisClient> {
  const secretArn = env[ENV.redisAuthSecretArn];
  let password: string | undefined;
  if (secretArn) {
    const secret = await getSecret(secretArn, { maxAge: 3600 });
    if (typeof secret !== 'string' || secret === '') {
      throw new ConfigError(`${ENV.redisAuthSecretArn}: secret ${secretArn} has no string value`);
    }
    password = secret;
  }
  return createRedisClient(
    { url: config.redis.url, cluster: config.redis.cluster, password },
    onConnectionError,
  );
}
