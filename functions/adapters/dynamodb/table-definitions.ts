import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE, OUTBOX_TABLE } from './table-layout';

/**
 * CreateTable inputs for local runs and tests (DynamoDB Local, LocalStack).
 * In AWS the stack creates the same tables from the same layout constants.
 */
export function tableDefinitions(names: { ledger: string; outbox: string }): CreateTableCommandInput[] {
  const periods = LEDGER_TABLE.periodFamiliesIndex;
  const settlements = LEDGER_TABLE.memberSettlementsIndex;
  const status = OUTBOX_TABLE.statusIndex;
  return [
    {
      TableName: names.ledger,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: LEDGER_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: LEDGER_TABLE.sortKey, AttributeType: 'S' },
        { AttributeName: periods.partitionKey, AttributeType: 'S' },
        { AttributeName: periods.sortKey, AttributeType: 'N' },
        { AttributeName: settlements.partitionKey, AttributeType: 'N' },
        { AttributeName: settlements.sortKey, AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: LEDGER_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: periods.name,
          KeySchema: [
            { AttributeName: periods.partitionKey, KeyType: 'HASH' },
            { AttributeName: periods.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: settlements.name,
          KeySchema: [
            { AttributeName: settlements.partitionKey, KeyType: 'HASH' },
            { AttributeName: settlements.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...settlements.projected] },
        },
      ],
      // The settlement archiver reads the fates written, usage-snapshots the period items changed.
      StreamSpecification: { StreamEnabled: true, StreamViewType: LEDGER_TABLE.streamViewType },
    },
    {
      TableName: names.outbox,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: OUTBOX_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: status.partitionKey, AttributeType: 'S' },
        { AttributeName: status.sortKey, AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: OUTBOX_TABLE.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: status.name,
          KeySchema: [
            { AttributeName: status.partitionKey, KeyType: 'HASH' },
            { AttributeName: status.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    },
  ];
}
