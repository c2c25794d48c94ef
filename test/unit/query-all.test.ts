import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { queryAll, queryPages } from '../../functions/adapters/dynamodb/query-all';
import { InvariantError } from '../../functions/core/errors';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-northeast-2' }));
const dynamodb = mockClient(DynamoDBDocumentClient);
const input = {
  TableName: 'ledger',
  KeyConditionExpression: 'PK = :pk',
  ExpressionAttributeValues: { ':pk': 'F#1' },
};

describe('queryAll', () => {
  beforeEach(() => dynamodb.reset());

  it('follows LastEvaluatedKey until DynamoDB has no more pages', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ SK: 'a' }, { SK: 'b' }], LastEvaluatedKey: { SK: 'b' } })
      .resolvesOnce({ Items: [], LastEvaluatedKey: { SK: 'b' } })
      .resolvesOnce({ Items: [{ SK: 'c' }] });

    expect(await queryAll(doc, input)).toEqual([{ SK: 'a' }, { SK: 'b' }, { SK: 'c' }]);
    const starts = dynamodb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExclusiveStartKey);
    expect(starts).toEqual([undefined, { SK: 'b' }, { SK: 'b' }]);
  });

  it('hands pages over one at a time, so a caller can count without keeping them', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ n: 1 }], LastEvaluatedKey: { n: 1 } })
      .resolvesOnce({ Items: [{ n: 2 }, { n: 3 }] });

    const sizes: number[] = [];
    for await (const page of queryPages(doc, input)) sizes.push(page.length);

    expect(sizes).toEqual([1, 2]);
  });

  it('raises a request DynamoDB will never accept as an invariant error, like every adapter', async () => {
    dynamodb.on(QueryCommand).rejects(
      Object.assign(new Error('Requested resource not found'), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(queryAll(doc, input)).rejects.toBeInstanceOf(InvariantError);
  });
});
