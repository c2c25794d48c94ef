import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { classifyDynamoError } from './errors';

export type Item = Record<string, unknown>;

/**
 * The pages of a Query, one request after another, following
 * LastEvaluatedKey until DynamoDB has no more. Errors are classified as every
 * adapter classifies them (a non-retryable 4xx becomes an invariant error).
 */
export async function* queryPages(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<Item[]> {
  let ExclusiveStartKey: Item | undefined;
  do {
    let page: QueryCommandOutput;
    try {
      page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    } catch (error) {
      throw classifyDynamoError(error);
    }
    yield page.Items ?? [];
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/** Every item a Query matches, all pages read. For partitions known to be small. */
export async function queryAll(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(db, input)) items.push(...page);
  return items;
}
