import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AppConfig } from '../config';

export interface UsageApiProps {
  readonly handler: IFunction;
  readonly usageApi: AppConfig['usageApi'];
  readonly namePrefix: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The routes of docs/api/openapi.json; the settlements route only where the ledger has its index. */
export const USAGE_API_ROUTES = {
  family: '/v1/families/{familyId}/usage',
  member: '/v1/families/{familyId}/members/{customerId}/usage',
  settlements: '/v1/families/{familyId}/members/{customerId}/settlements',
} as const;

/**
 * The usage read API: an HTTP API whose GET routes invoke the usage-api
 * function, signed requests only (IAM) unless the stack names a JWT issuer
 * and audience, throttled at the stage, every request in an access log.
 */
export class UsageApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: UsageApiProps) {
    super(scope, id);
    const { jwt, throttle, memberSettlementsIndex } = props.usageApi;
    const authorizer: IHttpRouteAuthorizer = jwt
      ? new HttpJwtAuthorizer('AppsJwt', jwt.issuer, { jwtAudience: [...jwt.audience] })
      : new HttpIamAuthorizer();
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `${props.namePrefix}-usage`,
      description: 'Usage read API for the apps (docs/api.md)',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      throttle: { rateLimit: throttle.ratePerSecond, burstLimit: throttle.burst },
      // API Gateway's default fields: request id, caller, route, status, latency, integration error.
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    const integration = new HttpLambdaIntegration('UsageApiFunction', props.handler);
    const routes = memberSettlementsIndex
      ? Object.values(USAGE_API_ROUTES)
      : [USAGE_API_ROUTES.family, USAGE_API_ROUTES.member];
    for (const path of routes) this.httpApi.addRoutes({ path, methods: [HttpMethod.GET], integration });
  }

  /** The stage's URL: the API's endpoint, the $default stage has no path of its own. */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }
}
