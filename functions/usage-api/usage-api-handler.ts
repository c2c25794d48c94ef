import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { InvariantError } from '../core/errors';
import { answerUsageRequest } from '../core/usage-api/answer';
import type { UsageReader } from '../core/usage-api/ports';
import { withObservability } from '../runtime/middleware';
import type { Observability } from '../runtime/observability';

export interface UsageApiDeps {
  readonly reader: UsageReader;
  readonly nowMs: () => number;
  /** The settlement zone of periods. */
  readonly timeZone: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/**
 * The usage API behind API Gateway's HTTP API (payload format 2.0), and
 * behind the local server, which builds the same event. The path is read
 * here rather than from the route, so both answer every path alike.
 */
export function createUsageApiHandler(deps: UsageApiDeps, observability: Observability) {
  const { logger } = observability;
  const handle = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const answer = await answerUsageRequest(
        {
          method: event.requestContext.http.method,
          path: event.rawPath,
          query: event.queryStringParameters ?? {},
        },
        deps,
      );
      return { statusCode: answer.status, headers: JSON_HEADERS, body: JSON.stringify(answer.body) };
    } catch (error) {
      // The ledger failed us, not the caller: a throttle or outage is worth a retry, anything else is a bug.
      const broken = error instanceof InvariantError;
      logger.error('usage read failed', { error: error as Error, path: event.rawPath });
      return {
        statusCode: broken ? 500 : 503,
        headers: JSON_HEADERS,
        body: JSON.stringify({
          message: broken ? 'internal error' : 'the ledger is unavailable, retry later',
        }),
      };
    }
  };
  return withObservability(
    (event: APIGatewayProxyEventV2, _context: Context) => handle(event),
    observability,
  );
}
