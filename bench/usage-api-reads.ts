import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DynamoChangeStore } from '../functions/adapters/dynamodb/change-store';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { tableDefinitions } from '../functions/adapters/dynamodb/table-definitions';
import { DynamoUsageReads } from '../functions/adapters/dynamodb/usage-reads';
import type { Period } from '../functions/core/time';
import { createObservability } from '../functions/runtime/observability';
import { createUsageApiHandler } from '../functions/usage-api/usage-api-handler';
import { LOCAL_REGION } from '../local/services/dynamodb-local';
import { DelayLine } from './delay-line';
import { DynamoMeter } from './dynamodb-meter';
import type { RunStores } from './run-stores';
import { percentile } from './stats';

/** The usage API's family usage on a run's ledger: latency per call and what each call reads. */
export interface UsageApiReads {
  readonly calls: number;
  readonly familyUsageMs: { readonly p50: number; readonly p99: number };
  /** Read units per call as AWS bills them (bench/read-billing.ts): strongly consistent reads. */
  readonly rcuPerCall: number;
  readonly requestsPerCall: number;
  readonly injectedDynamoDbMs: number;
}

/**
 * GET /v1/families/{id}/usage through the real handler, one call after
 * another over the run's families, on a document client of its own with the
 * same injected DynamoDB latency, so its reads are metered apart from the
 * settlement's.
 */
export async function measureUsageApiReads(
  stores: RunStores,
  familyIds: ReadonlyArray<number>,
  period: Period,
  options: { readonly calls: number; readonly dynamodbMs: number },
): Promise<UsageApiReads> {
  const doc = createDocumentClient({ endpoint: stores.config.endpoints.dynamodb, region: LOCAL_REGION });
  const meter = new DynamoMeter(new DelayLine(options.dynamodbMs), tableDefinitions(stores.tables));
  meter.attach(doc);
  try {
    const handler = createUsageApiHandler(
      {
        reader: new DynamoUsageReads(
          doc,
          stores.tables.ledger,
          new DynamoChangeStore(doc, stores.tables),
          stores.config.settlement.timeZone,
        ),
        nowMs: Date.now,
        timeZone: stores.config.settlement.timeZone,
      },
      createObservability('usage-api'),
    );
    const ms: number[] = [];
    for (let i = 0; i < options.calls; i++) {
      const path = `/v1/families/${familyIds[i % familyIds.length]}/usage`;
      const started = performance.now();
      const answer = (await handler(
        {
          rawPath: path,
          queryStringParameters: { period },
          requestContext: { http: { method: 'GET' } },
        } as unknown as APIGatewayProxyEventV2,
        {} as Context,
      )) as APIGatewayProxyStructuredResultV2;
      ms.push(performance.now() - started);
      if (answer.statusCode !== 200) throw new Error(`${path}: ${answer.statusCode} ${answer.body}`);
    }
    const reading = meter.read();
    return {
      calls: options.calls,
      familyUsageMs: { p50: percentile(ms, 50), p99: percentile(ms, 99) },
      rcuPerCall: reading.rcuBilling / options.calls,
      requestsPerCall: reading.totalRequests / options.calls,
      injectedDynamoDbMs: options.dynamodbMs,
    };
  } finally {
    doc.destroy();
  }
}
