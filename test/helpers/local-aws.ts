import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { createTables } from '../../functions/adapters/dynamodb/create-tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';

export const uniqueSuffix = () => randomBytes(4).toString('hex');

export interface TestTables {
  readonly endpoint: string;
  readonly names: { ledger: string; outbox: string };
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
}

/** Fresh ledger and outbox tables in the shared DynamoDB Local, named uniquely for this test file. */
export async function createTestTables(label: string): Promise<TestTables> {
  const endpoint = inject('dynamodbEndpoint');
  const suffix = uniqueSuffix();
  const names = { ledger: `${label}-ledger-${suffix}`, outbox: `${label}-outbox-${suffix}` };
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await createTables(client, names);
  return { endpoint, names, client, doc: createDocumentClient({ endpoint, region: LOCAL_REGION }) };
}
