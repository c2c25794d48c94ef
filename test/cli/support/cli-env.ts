import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../cli/main';
import { periodOf } from '../../../functions/core/time';
import type { Config } from '../../../functions/runtime/config';
import { ENV } from '../../../functions/runtime/env';
import { type correction, mskEvent, mskRecord, type usage } from '../../helpers/msk';
import { startSettlementEnv } from '../../helpers/settlement-env';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const ZONE = 'Asia/Seoul';
export const MB = 1_000_000;
export const currentPeriod = () => periodOf(Date.now(), ZONE);

let familySeed = 7000 + Math.floor(Math.random() * 1000) * 100;
export const nextFamilyId = () => ++familySeed;

/**
 * A real settlement environment (DynamoDB Local tables, a Redis key prefix, an
 * SQS emulator for the dead-letter queue, the usage-events handler) and the
 * CLI run in-process against it with the same configuration variables an
 * operator would export.
 */
export async function startCliEnv(label: string) {
  const env = await startSettlementEnv(label);
  const dir = await mkdtemp(join(tmpdir(), `cli-${label}-`));
  const variables = cliVariables(env.config);
  let fileCount = 0;
  let offset = 0;

  const cli = (args: string[], overrides: Record<string, string | undefined> = {}) =>
    runCli(args, { ...variables, ...overrides });

  return {
    ...env,
    cli,
    /** Runs a command with --json and parses its output; fails the test on a non-zero exit. */
    async cliJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
      const result = await cli([...args, '--json']);
      if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    async file(content: unknown): Promise<string> {
      const path = join(dir, `input-${++fileCount}.json`);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    },
    /** Sends usage events (and corrections) through the real usage-events handler, one partition, consecutive offsets. */
    async settle(...events: Array<ReturnType<typeof usage> | ReturnType<typeof correction>>) {
      const records = events.map((e) => mskRecord(0, offset++, e));
      return env.invoke(mskEvent(records));
    },
    async stopAll() {
      await rm(dir, { recursive: true, force: true });
      await env.stop();
    },
  };
}

export type CliEnv = Awaited<ReturnType<typeof startCliEnv>>;

/** The variables an operator would export to point the CLI at a settlement environment. */
export function cliVariables(config: Config): Record<string, string | undefined> {
  return {
    ...process.env,
    [ENV.ledgerTable]: config.tables.ledger,
    [ENV.outboxTable]: config.tables.outbox,
    [ENV.dynamodbEndpoint]: config.endpoints.dynamodb,
    [ENV.sqsEndpoint]: config.endpoints.sqs,
    [ENV.deadLetterQueueUrl]: config.deadLetterQueueUrl,
    [ENV.redisUrl]: config.redis.url,
    [ENV.redisKeyPrefix]: config.redis.keyPrefix,
    [ENV.settlementTimeZone]: ZONE,
    [ENV.retryBaseDelayMs]: '5',
  };
}

/** Runs the CLI in-process with these variables, capturing its output. */
export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  });
  return { code, stdout, stderr };
}
