import { ConfigError } from '../functions/runtime/config';
import { ENV } from '../functions/runtime/env';

/**
 * What a command must be told rather than given a default for. The functions
 * get every value from the stack; an operator's shell may point anywhere, so
 * the CLI does not fall back to a default table name (another stack's table)
 * or leave the region to the SDK (whose "Region is missing" names nothing,
 * and which probes the EC2 metadata service first).
 */
/** The MSK mappings' on-failure queue: read by `batches replay` only. */
export const FAILED_BATCHES_QUEUE = 'FAILED_BATCHES_QUEUE_URL';

/** The settlement archive, read by `usage settlements`: a local run's folder, or the stack's Glue table through Athena. */
export const ARCHIVE = {
  dir: 'ARCHIVE_DIR',
  database: 'ARCHIVE_DATABASE',
  table: 'ARCHIVE_TABLE',
  workGroup: 'ARCHIVE_WORKGROUP',
} as const;

const REQUIRED = {
  region: { variable: 'AWS_REGION', what: "the stack's region, e.g. ap-northeast-2" },
  ledgerTable: { variable: ENV.ledgerTable, what: "the ledger table, the stack's output LedgerTableName" },
  outboxTable: { variable: ENV.outboxTable, what: "the outbox table, the stack's output OutboxTableName" },
  deadLetterQueue: {
    variable: ENV.deadLetterQueueUrl,
    what: "the rejected-event queue, the stack's output RejectedEventsQueueUrl",
  },
  failedBatchesQueue: {
    variable: FAILED_BATCHES_QUEUE,
    what: "the queue of batches an MSK mapping gave up on, the stack's output FailedBatchesQueueUrl or FailedChangeBatchesQueueUrl",
  },
  archiveDatabase: {
    variable: ARCHIVE.database,
    what: "the stack's output ArchiveDatabase (or ARCHIVE_DIR locally)",
  },
  archiveTable: { variable: ARCHIVE.table, what: "the stack's output ArchiveTable" },
  archiveWorkGroup: { variable: ARCHIVE.workGroup, what: "the stack's output ArchiveWorkGroup" },
} as const;

export type Requirement = keyof typeof REQUIRED;

/** Throws one ConfigError naming every variable of `needs` that is unset or empty. */
export function requireSet(
  env: Readonly<Record<string, string | undefined>>,
  needs: ReadonlyArray<Requirement>,
) {
  const missing = needs
    .map((need) => REQUIRED[need])
    .filter(({ variable }) => (env[variable] ?? '').trim() === '');
  if (missing.length > 0) {
    throw new ConfigError(missing.map(({ variable, what }) => `${variable} is not set (${what})`).join('; '));
  }
}
