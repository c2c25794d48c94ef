import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { localContext } from './outbox/delivery-loop';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/**
 * What API Gateway's HTTP API hands the function (payload format 2.0), built
 * from a plain HTTP request: the raw path, and the query with repeated
 * parameters joined by commas as API Gateway joins them.
 */
export function httpApiEvent(request: IncomingMessage): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const method = request.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
    ),
    ...(url.search ? { queryStringParameters: query } : {}),
    requestContext: {
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
      requestId: `local-${Date.now().toString(36)}`,
      routeKey: '$default',
      stage: '$default',
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

/**
 * The usage API on a free local port: every request goes to the same handler
 * the Lambda function runs, without authorisation (the HTTP API's, on AWS).
 */
export async function startUsageApiServer(
  handler: HttpHandler,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((request, response) => {
    handler(httpApiEvent(request), localContext('usage-api', 10_000)).then(
      (result) => {
        const answer = result as APIGatewayProxyStructuredResultV2;
        response.writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>);
        response.end(answer.body ?? '');
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: `local server: ${(error as Error).message}` }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
