import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { createTables, enableLedgerStream } from '../../functions/adapters/dynamodb/create-tables';
import { openTableStream } from '../../local/outbox/stream-reader';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';
import { uniqueSuffix } from '../helpers/local-aws';

// The benchmark seeds its tables without streams and turns the ledger's on before the steps that read it.
describe('tables created without streams', () => {
  const endpoint = inject('dynamodbEndpoint');
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const doc = createDocumentClient({ endpoint, region: LOCAL_REGION });
  const suffix = uniqueSuffix();
  const names = { ledger: `streams-ledger-${suffix}`, outbox: `streams-outbox-${suffix}` };
  afterAll(() => client.destroy());

  const streamOf = async (table: string) =>
    (await client.send(new DescribeTableCommand({ TableName: table }))).Table?.StreamSpecification;

  it('have none until the ledger stream is enabled, which then carries new writes as images', async () => {
    await createTables(client, names, { streams: false });
    expect(await streamOf(names.ledger)).toBeUndefined();
    expect(await streamOf(names.outbox)).toBeUndefined();
    await doc.send(new PutCommand({ TableName: names.ledger, Item: { PK: 'F#1', SK: 'before' } }));

    await enableLedgerStream(client, names.ledger);
    await enableLedgerStream(client, names.ledger);
    expect(await streamOf(names.ledger)).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    const stream = await openTableStream({ endpoint, client, tableName: names.ledger });
    try {
      await doc.send(new PutCommand({ TableName: names.ledger, Item: { PK: 'F#1', SK: 'after' } }));
      const { Records } = await stream.readNew();
      expect(Records.map((r) => r.dynamodb?.NewImage?.SK?.S)).toEqual(['after']);
    } finally {
      stream.close();
    }
  });
});
