import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Random } from '../../local/workload/random';

export type DynamoFault = 'ambiguous-commit' | 'throttling' | 'transaction-conflict' | 'server-error';

const serviceError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} (injected)`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    ...extra,
  });

/**
 * Injects DynamoDB faults between the client and DynamoDB Local with an SDK
 * middleware. An ambiguous commit lets the transaction through and then loses
 * the answer, as a timeout after the server committed does.
 */
export function injectDynamoFaults(
  doc: DynamoDBDocumentClient,
  fault: DynamoFault,
  probability: number,
  random: Random,
  onInjected: () => void,
) {
  let injected = 0;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const transaction =
        context.commandName === 'TransactWriteItemsCommand' || context.commandName === 'TransactWriteCommand';
      // The first transaction is always hit, so even a short run exercises the fault.
      if (!transaction || (injected > 0 && !random.chance(probability))) return next(args);
      injected++;
      onInjected();
      switch (fault) {
        case 'ambiguous-commit':
          await next(args);
          // `committed` lets the harness tell which changes went through; the product never reads it.
          throw Object.assign(new Error('connection reset after the request was sent (injected)'), {
            name: 'TimeoutError',
            committed: true,
          });
        case 'throttling':
          throw serviceError('ThrottlingException', 400);
        case 'transaction-conflict':
          throw serviceError('TransactionCanceledException', 400, {
            CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
          });
        case 'server-error':
          throw serviceError('InternalServerError', 500);
      }
    },
    { step: 'initialize', name: `chaosDynamoFaults-${fault}` },
  );
}
