import type { TestProject } from 'vitest/node';
import { type LocalService, startDynamoDbLocal } from '../../local/services/dynamodb-local';
import { PrerequisiteError } from '../../local/services/prerequisites';
import { resolveRedis } from '../../local/services/redis-server';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    /** REDIS_URL when the run was given one, otherwise a private redis-server started here. */
    redisUrl: string;
    /** The pid of that private redis-server; null when REDIS_URL was given. */
    redisPid: number | null;
  }
}

/**
 * One in-memory DynamoDB Local and one Redis for the whole run; each test
 * file creates its own tables and uses its own key prefix in them. Both are
 * stopped by their own pids at teardown.
 */
export default async function setup(project: TestProject) {
  // The workers get it from the config's env; this process builds SDK clients too.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started: LocalService[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop();
  };
  try {
    const redis = await resolveRedis(process.env.REDIS_URL);
    started.push(redis);
    const dynamodb = await startDynamoDbLocal();
    started.push(dynamodb);
    project.provide('redisUrl', redis.endpoint);
    project.provide('redisPid', redis.pid ?? null);
    project.provide('dynamodbEndpoint', dynamodb.endpoint);
  } catch (error) {
    await stopAll();
    if (error instanceof PrerequisiteError) exitWithOneLine(error);
    throw error;
  }
  return stopAll;
}

/**
 * A missing redis-server or java is the machine's setup, not a failing test:
 * one line and exit 1, instead of Vitest's stack trace under "No test files
 * found". What was started has been stopped already.
 */
function exitWithOneLine(error: PrerequisiteError): never {
  process.stderr.write(`npm test: ${error.message}\n`);
  process.exit(1);
}
