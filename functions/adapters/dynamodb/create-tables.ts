import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { tableDefinitions } from './table-definitions';
import { LEDGER_TABLE, OUTBOX_TABLE } from './table-layout';

/** Creates the tables when absent (idempotent) and waits until they are ACTIVE. */
export async function createTables(client: DynamoDBClient, names: { ledger: string; outbox: string }) {
  for (const definition of tableDefinitions(names)) {
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (const [tableName, attribute] of [
    [names.ledger, LEDGER_TABLE.ttlAttribute],
    [names.outbox, OUTBOX_TABLE.ttlAttribute],
  ] as const) {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    if (ttl.TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED') continue;
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  }
}
