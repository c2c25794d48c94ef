import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { OutboxItem } from '../../core/outbox/item';
import { classifyDynamoError } from './errors';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** An outbox item written once: a replayed plan finds it and the transaction is refused. */
export const outboxPut = (table: string, item: OutboxItem): TransactItem => ({
  Put: { TableName: table, Item: { ...item }, ConditionExpression: 'attribute_not_exists(notificationId)' },
});

/**
 * Writes a planned transaction; false when one of its conditions failed (what
 * it was planned against moved: read and plan again). Other errors are
 * classified as transient or not.
 */
export async function writePlanned(db: DynamoDBDocumentClient, items: TransactItem[]): Promise<boolean> {
  try {
    await db.send(new TransactWriteCommand({ TransactItems: items }));
    return true;
  } catch (error) {
    const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
    if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
    throw classifyDynamoError(error);
  }
}
