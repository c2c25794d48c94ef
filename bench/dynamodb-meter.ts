import type { AttributeValue, CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/lib-dynamodb';
import type { FinalizeRequestMiddleware } from '@aws-sdk/types';
import type { DelayLine } from './delay-line';
import { SETTLEMENTS_BY_FAMILY } from './dropped-index';
import { billedReadUnits, READ_OPERATIONS } from './read-billing';
import { WriteBilling } from './write-billing';

type Item = Record<string, AttributeValue>;

const WRITE_OPERATIONS = new Set([
  'TransactWriteItems',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
}

export interface DynamoMeterReading {
  /** Every HTTP request the client sent (retries included), by operation. */
  readonly requests: Record<string, number>;
  readonly totalRequests: number;
  /** Write capacity DynamoDB Local reported (ReturnConsumedCapacity TOTAL) for committed writes. */
  readonly consumedWcuLocal: number;
  /** Read capacity as AWS bills it (bench/read-billing.ts), from the items each read returned. */
  readonly rcuBilling: number;
  /** Read capacity DynamoDB Local reported; for reference. */
  readonly consumedRcuLocal: number;
  readonly cancelledTransactions: number;
  readonly failedRequests: number;
  /** Mean latency actually injected per request, ms. */
  readonly injectedMeanMs: number;
  /** Mean time DynamoDB (Local) took to answer a request, injected latency excluded, ms. */
  readonly serviceMeanMs: number;
}

const operationOf = (commandName: string | undefined) => (commandName ?? 'Unknown').replace(/Command$/, '');

/**
 * SDK middleware on a document client: asks DynamoDB for the consumed
 * capacity of every write, and, once per HTTP request (inside the retry loop,
 * so retries count), counts the request, waits the injected latency and
 * records what a committed write writes, for the billing model.
 */
export class DynamoMeter {
  readonly billing: WriteBilling;
  private readonly requests: Record<string, number> = {};
  private consumed = 0;
  private readBilled = 0;
  private readConsumed = 0;
  private cancelled = 0;
  private failed = 0;
  private serviceMs = 0;

  /** `tables`: the definitions of the tables written, for index-write estimates. */
  constructor(
    private readonly latency: DelayLine,
    tables: ReadonlyArray<CreateTableCommandInput>,
  ) {
    this.billing = new WriteBilling(tables, [SETTLEMENTS_BY_FAMILY]);
  }

  attach(doc: DynamoDBDocumentClient): void {
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = operationOf(context.commandName);
        if (WRITE_OPERATIONS.has(operation) || READ_OPERATIONS.has(operation)) {
          args.input = { ...(args.input as object), ReturnConsumedCapacity: 'TOTAL' };
        }
        return next(args);
      },
      { step: 'initialize', name: 'benchReturnConsumedCapacity' },
    );
    const meter: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> =
      (next, context) => async (args) => {
        const operation = operationOf(context.commandName);
        this.requests[operation] = (this.requests[operation] ?? 0) + 1;
        await this.latency.wait();
        const sent = performance.now();
        try {
          const result = await next(args);
          this.serviceMs += performance.now() - sent;
          this.onCommitted(operation, args.input as Record<string, unknown>, result.output as object);
          return result;
        } catch (error) {
          this.serviceMs += performance.now() - sent;
          if ((error as { name?: string }).name === 'TransactionCanceledException') this.cancelled++;
          else this.failed++;
          throw error;
        }
      };
    doc.middlewareStack.addRelativeTo(meter, {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name: 'benchDynamoMeter',
    });
  }

  read(): DynamoMeterReading {
    const total = Object.values(this.requests).reduce((a, b) => a + b, 0);
    return {
      requests: { ...this.requests },
      totalRequests: total,
      consumedWcuLocal: this.consumed,
      rcuBilling: this.readBilled,
      consumedRcuLocal: this.readConsumed,
      cancelledTransactions: this.cancelled,
      failedRequests: this.failed,
      injectedMeanMs: this.latency.realisedMeanMs(),
      serviceMeanMs: total === 0 ? 0 : this.serviceMs / total,
    };
  }

  /** `input` is the marshalled (low-level) input: the document client marshalled it before serializing. */
  private onCommitted(operation: string, input: Record<string, unknown>, output: object): void {
    const capacity = (output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
      .ConsumedCapacity;
    if (READ_OPERATIONS.has(operation)) {
      this.readBilled += billedReadUnits(operation, input, output);
      for (const c of Array.isArray(capacity) ? capacity : capacity ? [capacity] : []) {
        this.readConsumed += c.ReadCapacityUnits ?? c.CapacityUnits ?? 0;
      }
      return;
    }
    if (!WRITE_OPERATIONS.has(operation)) return;
    for (const c of Array.isArray(capacity) ? capacity : capacity ? [capacity] : []) {
      this.consumed += c.WriteCapacityUnits ?? c.CapacityUnits ?? 0;
    }
    const table = input.TableName as string;
    switch (operation) {
      case 'TransactWriteItems':
        for (const entry of (input.TransactItems ?? []) as Array<Record<string, Record<string, unknown>>>) {
          this.recordTransactItem(entry);
        }
        break;
      case 'PutItem':
        this.billing.put(table, input.Item as Item, false);
        break;
      case 'UpdateItem':
      case 'DeleteItem':
        this.billing.sizedAtEnd(table, input.Key as Item, false);
        break;
      case 'BatchWriteItem':
        for (const [batchTable, requests] of Object.entries(
          input.RequestItems as Record<string, Array<Record<string, { Item?: Item; Key?: Item }>>>,
        )) {
          for (const request of requests) {
            if (request.PutRequest?.Item) this.billing.put(batchTable, request.PutRequest.Item, false);
            else if (request.DeleteRequest?.Key)
              this.billing.sizedAtEnd(batchTable, request.DeleteRequest.Key, false);
          }
        }
        break;
    }
  }

  private recordTransactItem(entry: Record<string, Record<string, unknown>>): void {
    if (entry.Put) {
      this.billing.put(entry.Put.TableName as string, entry.Put.Item as Item, true);
      return;
    }
    const write = entry.Update ?? entry.Delete ?? entry.ConditionCheck;
    if (write) this.billing.sizedAtEnd(write.TableName as string, write.Key as Item, true);
  }
}
