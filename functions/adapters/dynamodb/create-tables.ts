import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { tableDefinitions } from './table-definitions';
import { LEDGER_TABLE, OUTBOX_TABLE } from './table-layout';

/**
 * Creates the tables when absent (idempotent) and waits until they are ACTIVE.
 * `streams: false` leaves their streams off, for a benchmark that seeds
 * first: DynamoDB Local slows down as its stream grows, which AWS does not.
 */
export async function createTables(
  client: DynamoDBClient,
  names: { ledger: string; outbox: string },
  { streams = true }: { readonly streams?: boolean } = {},
) {
  for (const definition of tableDefinitions(names)) {
    try {
      await client.send(
        new CreateTableCommand(streams ? definition : { ...definition, StreamSpecification: undefined }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await untilActive(client, definition.TableName as string);
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

/** Turns on the ledger's stream of a table created with `streams: false` (idempotent). */
export async function enableLedgerStream(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled) return;
  await client.send(
    new UpdateTableCommand({
      TableName: tableName,
      StreamSpecification: { StreamEnabled: true, StreamViewType: LEDGER_TABLE.streamViewType },
    }),
  );
  await untilActive(client, tableName);
}

async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
