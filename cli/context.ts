import { AthenaClient } from '@aws-sdk/client-athena';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChangeStore } from '../functions/adapters/dynamodb/change-store';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { FamilyStore } from '../functions/adapters/dynamodb/family-store';
import { DynamoHeldChanges } from '../functions/adapters/dynamodb/held-changes';
import { DynamoLedger } from '../functions/adapters/dynamodb/ledger';
import { LedgerReports } from '../functions/adapters/dynamodb/ledger-reports';
import { DynamoOutboxStore } from '../functions/adapters/dynamodb/outbox-store';
import type { RedisClient } from '../functions/adapters/redis/client';
import { RedisUsageCache } from '../functions/adapters/redis/usage-cache';
import { createSqsClient } from '../functions/adapters/sqs/client';
import { DeadLetterReader } from '../functions/adapters/sqs/dead-letter-reader';
import { FailedBatchReader } from '../functions/adapters/sqs/failed-batch-reader';
import { createChangeDeps } from '../functions/change-events/dependencies';
import type { ChangeBatchDeps } from '../functions/core/changes/apply-batch';
import type { ReleaseDeps } from '../functions/core/changes/held-changes';
import { systemClock } from '../functions/core/ports';
import type { SettlementDeps } from '../functions/core/settlement/settle-batch';
import { type Period, periodOf } from '../functions/core/time';
import { usageCacheSettings } from '../functions/runtime/cache-settings';
import { type Config, loadConfig } from '../functions/runtime/config';
import { ENV } from '../functions/runtime/env';
import { connectRedis } from '../functions/runtime/redis-connection';
import { createSettlementDeps, settlementSettings } from '../functions/usage-events/dependencies';
import { AthenaSettlementArchive } from './archive-athena-source';
import { FolderSettlementArchive } from './archive-folder-source';
import type { SettlementArchive } from './archived-settlements';
import { OperationError } from './errors';
import type { CliIo } from './output';
import { ARCHIVE, FAILED_BATCHES_QUEUE, type Requirement, requireSet } from './required-config';

/**
 * The adapters a command needs, built on first use from the same configuration
 * the functions read (loadConfig), so `--help` and bad input need no service
 * and a command touches only the services it uses.
 */
export class CliContext {
  private cachedConfig: Config | undefined;
  private docClient: DynamoDBDocumentClient | undefined;
  private sqsClient: SQSClient | undefined;
  private redisClient: Promise<RedisClient> | undefined;
  private usageCache: Promise<RedisUsageCache> | undefined;
  private athenaClient: AthenaClient | undefined;

  constructor(readonly io: CliIo) {}

  get config(): Config {
    this.cachedConfig ??= loadConfig(this.io.env);
    return this.cachedConfig;
  }

  currentPeriod(): Period {
    return periodOf(systemClock.now(), this.config.settlement.timeZone);
  }

  get families(): FamilyStore {
    return new FamilyStore(this.doc(['ledgerTable']), this.config.tables.ledger, this.config.settlement);
  }

  /** Reads only the ledger table; settling (settlementDeps) needs the outbox too. */
  get ledger(): DynamoLedger {
    return new DynamoLedger(this.doc(['ledgerTable']), this.config.tables, {
      retry: settlementSettings(this.config).retry,
      concurrency: this.config.processing.familyConcurrency,
      fateRetentionDays: this.config.settlement.fateRetentionDays,
    });
  }

  get reports(): LedgerReports {
    return new LedgerReports(this.doc(['ledgerTable']), this.config.tables.ledger);
  }

  get outbox(): DynamoOutboxStore {
    return new DynamoOutboxStore(this.doc(['outboxTable']), this.config.tables.outbox);
  }

  get deadLetters(): DeadLetterReader {
    requireSet(this.io.env, ['region', 'deadLetterQueue']);
    this.sqsClient ??= createSqsClient({ endpoint: this.config.endpoints.sqs, region: this.region });
    return new DeadLetterReader(this.sqsClient, this.config.deadLetterQueueUrl ?? '');
  }

  cache(): Promise<RedisUsageCache> {
    this.usageCache ??= this.redis().then(
      (client) => new RedisUsageCache(client, usageCacheSettings(this.config)),
    );
    return this.usageCache;
  }

  /** The settlement archive: the folder ARCHIVE_DIR names (a local run), else the stack's table through Athena. */
  get archive(): SettlementArchive {
    const dir = this.io.env[ARCHIVE.dir];
    if (dir) return new FolderSettlementArchive(dir);
    requireSet(this.io.env, ['region', 'archiveDatabase', 'archiveTable', 'archiveWorkGroup']);
    this.athenaClient ??= new AthenaClient({ region: this.region });
    return new AthenaSettlementArchive(this.athenaClient, {
      database: this.io.env[ARCHIVE.database] ?? '',
      table: this.io.env[ARCHIVE.table] ?? '',
      workGroup: this.io.env[ARCHIVE.workGroup] ?? '',
    });
  }

  get failedBatches(): FailedBatchReader {
    requireSet(this.io.env, ['region', 'failedBatchesQueue']);
    this.sqsClient ??= createSqsClient({ endpoint: this.config.endpoints.sqs, region: this.region });
    return new FailedBatchReader(this.sqsClient, this.io.env[FAILED_BATCHES_QUEUE] ?? '');
  }

  /** Exactly what the change-events function uses, for replaying its records. */
  async changeBatchDeps(): Promise<ChangeBatchDeps> {
    requireSet(this.io.env, ['region', 'ledgerTable', 'outboxTable', 'deadLetterQueue']);
    return createChangeDeps(this.config, await this.redis(), this.log());
  }

  private log() {
    return {
      warn: (message: string, extra: Record<string, unknown>) =>
        this.io.stderr(`warning: ${message} ${JSON.stringify(extra)}\n`),
      error: (message: string, extra: Record<string, unknown>) =>
        this.io.stderr(`error: ${message} ${JSON.stringify(extra)}\n`),
    };
  }

  /** Exactly what the usage-events function uses, for replaying dead letters. */
  async settlementDeps(): Promise<SettlementDeps> {
    requireSet(this.io.env, ['region', 'ledgerTable', 'outboxTable', 'deadLetterQueue']);
    return createSettlementDeps(this.config, await this.redis(), this.log());
  }

  /**
   * What family and policy changes need: the ledger (required) and Redis
   * (best effort: when it cannot be reached the change still applies, and the
   * family's next event loads it from the ledger).
   */
  async changeDeps(): Promise<ReleaseDeps> {
    requireSet(this.io.env, ['region', 'ledgerTable', 'outboxTable']);
    const doc = this.doc(['ledgerTable', 'outboxTable']);
    return {
      store: new DynamoChangeStore(doc, this.config.tables),
      held: new DynamoHeldChanges(doc, this.config.tables.ledger),
      maxBytesPerEvent: this.config.settlement.maxBytesPerEvent,
      retry: {
        maxAttempts: this.config.processing.retryMaxAttempts,
        baseDelayMs: this.config.processing.retryBaseDelayMs,
      },
      cache: { applyChange: async (familyId, edits) => (await this.cache()).applyChange(familyId, edits) },
      clock: systemClock,
      settings: {
        timeZone: this.config.settlement.timeZone,
        futureSkewMs: this.config.settlement.futureSkewMs,
        outboxGraceMs: this.config.outbox.graceMs,
      },
    };
  }

  get changeStore(): DynamoChangeStore {
    return new DynamoChangeStore(this.doc(['ledgerTable']), this.config.tables);
  }

  async close(): Promise<void> {
    this.docClient?.destroy();
    this.sqsClient?.destroy();
    this.athenaClient?.destroy();
    const redis = await this.redisClient?.catch(() => undefined);
    redis?.disconnect();
  }

  /** The DynamoDB client, once the region and the tables a command uses are set. */
  private doc(tables: ReadonlyArray<Requirement>): DynamoDBDocumentClient {
    requireSet(this.io.env, ['region', ...tables]);
    this.docClient ??= createDocumentClient({
      endpoint: this.config.endpoints.dynamodb,
      region: this.region,
    });
    return this.docClient;
  }

  /** From the command's environment, not the SDK's own lookup, so what was checked is what is used. */
  get region(): string {
    return this.io.env.AWS_REGION ?? '';
  }

  private redis(): Promise<RedisClient> {
    this.redisClient ??= this.connect();
    return this.redisClient;
  }

  /** Connects and pings once, so an unreachable Redis is one clear message, not a retry error. */
  private async connect(): Promise<RedisClient> {
    // The auth token is read from Secrets Manager, in the stack's region.
    if (this.io.env[ENV.redisAuthSecretArn]) requireSet(this.io.env, ['region']);
    let lastError: Error | undefined;
    const client = await connectRedis(
      this.config,
      (error) => {
        lastError = error;
      },
      { ...this.io.env },
    );
    try {
      await client.ping();
    } catch (error) {
      client.disconnect();
      const why = lastError?.message ?? (error instanceof Error ? error.message : String(error));
      throw new OperationError(`Redis at ${redacted(this.config.redis.url)} is not reachable: ${why}`);
    }
    return client;
  }
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
