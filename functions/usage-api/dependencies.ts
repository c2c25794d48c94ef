import { DynamoChangeStore } from '../adapters/dynamodb/change-store';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoUsageReads } from '../adapters/dynamodb/usage-reads';
import type { Config } from '../runtime/config';
import type { UsageApiDeps } from './usage-api-handler';

/** The usage API's ledger reads, once per container. */
export function createUsageApiDeps(config: Config): UsageApiDeps {
  const doc = createDocumentClient({ endpoint: config.endpoints.dynamodb });
  return {
    reader: new DynamoUsageReads(
      doc,
      config.tables.ledger,
      new DynamoChangeStore(doc, config.tables),
      config.settlement.timeZone,
    ),
    nowMs: Date.now,
    timeZone: config.settlement.timeZone,
  };
}
