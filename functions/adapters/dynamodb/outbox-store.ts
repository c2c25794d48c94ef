import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { OUTBOX_STATUS, type OutboxItem, type OutboxStatus } from '../../core/outbox/item';
import type { OutboxPage, OutboxStore, PageRequest, PendingBacklog } from '../../core/outbox/ports';
import { type FailureTransition, requeued, type SentTransition } from '../../core/outbox/transitions';
import { classifyDynamoError } from './errors';
import { decodeOutboxItem } from './outbox-item-codec';
import { queryPages } from './query-all';
import { OUTBOX_TABLE } from './table-layout';

const index = OUTBOX_TABLE.statusIndex;

/** Attribute names used in expressions; `status` is a reserved word, the others are named for uniformity. */
const NAMES = {
  '#status': index.partitionKey,
  '#next': index.sortKey,
} as const;

/**
 * The outbox table. Due items and listings come from the status index
 * (partition = status, sort = nextAttemptAt), never from a scan. Every
 * transition is an UpdateItem conditional on the expected status; a failed
 * condition means another run moved the item and is answered as false.
 */
export class DynamoOutboxStore implements OutboxStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(notificationId: string): Promise<OutboxItem | null> {
    const { Item } = await classified(
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: { notificationId }, ConsistentRead: true }),
      ),
    );
    return Item ? decodeOutboxItem(Item) : null;
  }

  due(nowMs: number, page: PageRequest): Promise<OutboxPage> {
    return this.queryIndex(page, {
      KeyConditionExpression: '#status = :status AND #next <= :now',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':status': OUTBOX_STATUS.pending, ':now': nowMs },
    });
  }

  listByStatus(status: OutboxStatus, page: PageRequest): Promise<OutboxPage> {
    return this.queryIndex(page, {
      KeyConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': index.partitionKey },
      ExpressionAttributeValues: { ':status': status },
    });
  }

  async claim(item: OutboxItem, leaseUntil: number): Promise<OutboxItem | null> {
    const attributes = await this.update({
      Key: { notificationId: item.notificationId },
      UpdateExpression: 'SET #next = :lease',
      ConditionExpression: '#status = :pending AND #next = :seen',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':lease': leaseUntil,
        ':pending': OUTBOX_STATUS.pending,
        ':seen': item.nextAttemptAt,
      },
      ReturnValues: 'ALL_NEW',
    });
    return attributes ? decodeOutboxItem(attributes) : null;
  }

  async markSent(notificationId: string, sent: SentTransition): Promise<boolean> {
    const attributes = await this.update({
      Key: { notificationId },
      UpdateExpression: 'SET #status = :sent, #sentAt = :sentAt, #expiresAt = :expiresAt',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: {
        '#status': index.partitionKey,
        '#sentAt': 'sentAt',
        '#expiresAt': OUTBOX_TABLE.ttlAttribute,
      },
      ExpressionAttributeValues: {
        ':sent': OUTBOX_STATUS.sent,
        ':pending': OUTBOX_STATUS.pending,
        ':sentAt': sent.sentAt,
        ':expiresAt': sent.expiresAt,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return attributes !== null;
  }

  async recordFailure(
    notificationId: string,
    leaseToken: number,
    failure: FailureTransition,
  ): Promise<boolean> {
    const attributes = await this.update({
      Key: { notificationId },
      UpdateExpression: 'SET #status = :to, #attempts = :attempts, #next = :next, #lastError = :lastError',
      ConditionExpression: '#status = :pending AND #next = :lease',
      ExpressionAttributeNames: { ...NAMES, '#attempts': 'attempts', '#lastError': 'lastError' },
      ExpressionAttributeValues: {
        ':to': failure.status,
        ':attempts': failure.attempts,
        ':next': failure.nextAttemptAt,
        ':lastError': failure.lastError,
        ':pending': OUTBOX_STATUS.pending,
        ':lease': leaseToken,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return attributes !== null;
  }

  async requeue(notificationId: string, nowMs: number): Promise<boolean> {
    const next = requeued(nowMs);
    const attributes = await this.update({
      Key: { notificationId },
      UpdateExpression: 'SET #status = :to, #attempts = :attempts, #next = :next',
      ConditionExpression: '#status = :failed',
      ExpressionAttributeNames: { ...NAMES, '#attempts': 'attempts' },
      ExpressionAttributeValues: {
        ':to': next.status,
        ':attempts': next.attempts,
        ':next': next.nextAttemptAt,
        ':failed': OUTBOX_STATUS.failed,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return attributes !== null;
  }

  /**
   * Reads the whole PUBLISH_PENDING partition of the index, projecting only
   * createdAt. At notification rates the backlog is small; when it is not,
   * that is exactly what the alarm on its age is for.
   */
  async pendingBacklog(): Promise<PendingBacklog> {
    let count = 0;
    let oldestCreatedAt: number | null = null;
    const pages = queryPages(this.db, {
      TableName: this.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#status = :status',
      ProjectionExpression: '#createdAt',
      ExpressionAttributeNames: { '#status': index.partitionKey, '#createdAt': 'createdAt' },
      ExpressionAttributeValues: { ':status': OUTBOX_STATUS.pending },
    });
    for await (const items of pages) {
      for (const item of items) {
        count++;
        const createdAt = Number(item.createdAt);
        if (Number.isFinite(createdAt) && (oldestCreatedAt === null || createdAt < oldestCreatedAt)) {
          oldestCreatedAt = createdAt;
        }
      }
    }
    return { count, oldestCreatedAt };
  }

  private async queryIndex(
    page: PageRequest,
    input: Pick<
      QueryCommandInput,
      'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<OutboxPage> {
    const result = await classified(
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor),
          ...input,
        }),
      ),
    );
    return {
      items: (result.Items ?? []).map(decodeOutboxItem),
      cursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  /** Returns the attributes asked for, or null when the condition did not hold. */
  private async update(
    input: Omit<UpdateCommandInput, 'TableName'>,
  ): Promise<Record<string, unknown> | null> {
    try {
      const { Attributes } = await this.db.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return Attributes ?? {};
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return null;
      throw classifyDynamoError(error);
    }
  }
}

/** Read errors are classified like every other DynamoDB error: a 4xx that will not pass is a bug. */
async function classified<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    throw classifyDynamoError(error);
  }
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  return cursor
    ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>)
    : undefined;
}
