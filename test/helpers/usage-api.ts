import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Config } from '../../functions/runtime/config';
import { createObservability } from '../../functions/runtime/observability';
import { createUsageApiDeps } from '../../functions/usage-api/dependencies';
import { createUsageApiHandler } from '../../functions/usage-api/usage-api-handler';
import { schemaErrors } from './json-schema';
import { lambdaContext } from './settlement-env';

type Schema = Record<string, unknown>;
export const OPENAPI = JSON.parse(readFileSync('docs/api/openapi.json', 'utf8')) as Schema;

/** An HTTP API (payload 2.0) request as API Gateway sends it, for a path and its query. */
export function apiEvent(
  path: string,
  query?: Record<string, string>,
  method = 'GET',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: { http: { method, path } },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

/** The usage API handler on the ledger the config names. */
export function usageApi(config: Config) {
  const handler = createUsageApiHandler(createUsageApiDeps(config), createObservability('usage-api'));
  return async (event: APIGatewayProxyEventV2) => {
    const result = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    return {
      status: result.statusCode as number,
      body: JSON.parse(String(result.body)) as Record<string, unknown>,
    };
  };
}

/** The OpenAPI operation a path answers, found by matching the document's path templates. */
function operationOf(path: string): Schema | undefined {
  const paths = OPENAPI.paths as Record<string, Record<string, Schema>>;
  const template = Object.keys(paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]*')}$`).test(path),
  );
  return template ? paths[template]?.get : undefined;
}

/** How an answer breaks the document: no such operation or status, or a body off its schema. */
export function contractErrors(path: string, answer: { status: number; body: unknown }): string[] {
  const operation = operationOf(path);
  if (!operation) return answer.status === 404 ? [] : [`no operation for ${path}`];
  const response = (operation.responses as Record<string, Schema>)[String(answer.status)];
  if (!response) return [`${path}: status ${answer.status} is not documented`];
  const content = response.content as Record<string, { schema: Schema }>;
  const schema = content['application/json']?.schema;
  return schema
    ? schemaErrors(OPENAPI, schema, answer.body)
    : [`${path}: ${answer.status} has no body schema`];
}
