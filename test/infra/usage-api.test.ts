import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE_API_ROUTES } from '../../lib/constructs/usage-api';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

/**
 * The usage read API in the stack: the routes of the OpenAPI document on the
 * usage-api function, IAM authorisation unless a JWT issuer and audience are
 * given, stage throttling, access logs, and no settlements route (nor index)
 * without the member settlements index.
 */
let template: Template;

beforeAll(() => {
  template = synthesize().template;
}, SYNTH_TIMEOUT_MS);

const routes = (t: Template) =>
  Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map(
    (r) => r.Properties as { RouteKey: string; AuthorizationType: string; AuthorizerId?: unknown },
  );
const ledgerIndexes = (t: Template) =>
  (
    t.findResources('AWS::DynamoDB::Table')[logicalId(t, 'AWS::DynamoDB::Table', 'DataLedger')]!.Properties
      .GlobalSecondaryIndexes as { IndexName: string; Projection: unknown }[]
  ).map((i) => i.IndexName);

describe('the usage API', () => {
  it('routes GET of every documented path to the usage-api function, signed with SigV4 (IAM) by default', () => {
    expect(
      routes(template)
        .map((r) => r.RouteKey)
        .sort(),
    ).toEqual(
      Object.values(USAGE_API_ROUTES)
        .map((p) => `GET ${p}`)
        .sort(),
    );
    for (const route of routes(template)) expect(route.AuthorizationType).toBe('AWS_IAM');
    const fn = logicalId(template, 'AWS::Lambda::Function', 'FunctionsUsageApi');
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [fn, 'Arn'] },
    });
  });

  it('throttles at the stage and logs every request', () => {
    const logs = logicalId(template, 'AWS::Logs::LogGroup', 'UsageApiAccessLogs');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1_000 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logs, 'Arn'] } },
    });
  });

  it(
    'takes a JWT authoriser when both its issuer and audience are given, and refuses one without the other',
    () => {
      const jwt = synthesize({
        context: { apiJwtIssuer: 'https://auth.example.com/', apiJwtAudience: 'app-ios,app-android' },
      }).template;
      jwt.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        JwtConfiguration: { Issuer: 'https://auth.example.com/', Audience: ['app-ios', 'app-android'] },
      });
      for (const route of routes(jwt)) expect(route.AuthorizationType).toBe('JWT');
      expect(() => synthesize({ context: { apiJwtIssuer: 'https://auth.example.com/' } })).toThrow(
        /apiJwtIssuer \(API_JWT_ISSUER\) and apiJwtAudience \(API_JWT_AUDIENCE\) go together/,
      );
      expect(() =>
        synthesize({ context: { apiJwtIssuer: 'http://auth.example.com/', apiJwtAudience: 'a' } }),
      ).toThrow(/apiJwtIssuer/);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'without the member settlements index has neither the index nor its route nor the grant',
    () => {
      expect(ledgerIndexes(template)).toEqual(['GSI2', 'GSI3']);
      const lean = synthesize({ context: { memberSettlementsIndex: 'false' } }).template;
      expect(ledgerIndexes(lean)).toEqual(['GSI2']);
      expect(routes(lean).map((r) => r.RouteKey)).not.toContain(`GET ${USAGE_API_ROUTES.settlements}`);
      expect(JSON.stringify(lean.findResources('AWS::IAM::Policy'))).not.toContain('/index/GSI3');
    },
    SYNTH_TIMEOUT_MS,
  );

  it('alarms on any 5xx answer and on p99 latency, and publishes its URL', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.find((a) => a.AlarmName === 'usage-settlement-UsageApi5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Statistic: 'Sum',
      Threshold: 0,
    });
    expect(alarms.find((a) => a.AlarmName === 'usage-settlement-UsageApiLatencyP99')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: 1_000,
      EvaluationPeriods: 5,
    });
    template.hasOutput('UsageApiUrl', {});
  });
});
