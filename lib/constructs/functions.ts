import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LEDGER_TABLE, OUTBOX_TABLE } from '../../functions/adapters/dynamodb/table-layout';
import { ENV } from '../../functions/runtime/env';
import { METRIC_NAMESPACE, SERVICE_NAME } from '../../functions/runtime/metric-names';
import { type AppConfig, mskResourceArns } from '../config';
import type { Archive } from './archive';
import { bundlingOptions, handlerEntry, LOCK_FILE, REPO_ROOT, RUNTIME } from './bundling';
import type { Cache } from './cache';
import type { Data } from './data';
import type { Messaging } from './messaging';

export interface FunctionsProps {
  readonly config: AppConfig;
  readonly vpc: IVpc;
  readonly subnets: SubnetSelection;
  readonly usageEventsSecurityGroup: ISecurityGroup;
  readonly changeEventsSecurityGroup: ISecurityGroup;
  readonly outboxSecurityGroup: ISecurityGroup;
  readonly archiverSecurityGroup: ISecurityGroup;
  readonly usageSnapshotsSecurityGroup: ISecurityGroup;
  readonly usageApiSecurityGroup: ISecurityGroup;
  readonly data: Data;
  readonly archive: Archive;
  readonly cache: Cache;
  readonly messaging: Messaging;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Why some statements name Resource "*": these actions have no resource-level
 * permissions in IAM, so AWS accepts nothing narrower.
 */
export const WILDCARD_REASONS: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray trace upload has no resource-level permissions (active tracing)',
  'xray:PutTelemetryRecords': 'X-Ray telemetry upload has no resource-level permissions (active tracing)',
  'ec2:CreateNetworkInterface':
    'Lambda creates its VPC ENIs with the execution role; AWS documents Resource "*"',
  'ec2:DescribeNetworkInterfaces': 'EC2 Describe* actions have no resource-level permissions',
  'ec2:DeleteNetworkInterface':
    'Lambda deletes its VPC ENIs with the execution role; AWS documents Resource "*"',
  'ec2:AssignPrivateIpAddresses':
    'Lambda manages its VPC ENIs with the execution role; AWS documents Resource "*"',
  'ec2:UnassignPrivateIpAddresses':
    'Lambda manages its VPC ENIs with the execution role; AWS documents Resource "*"',
  'ec2:DescribeSubnets': 'EC2 Describe* actions have no resource-level permissions',
  'ec2:DescribeVpcs': 'EC2 Describe* actions have no resource-level permissions (MSK event-source pollers)',
  'ec2:DescribeSecurityGroups':
    'EC2 Describe* actions have no resource-level permissions (MSK event-source pollers)',
  'dynamodb:ListStreams': 'ListStreams has no resource-level permissions (DynamoDB stream event source)',
};

/** LocalStack: every AWS client of the functions talks to the one emulator endpoint. */
function emulatorEndpoints(endpoint: string | undefined): Record<string, string> {
  if (!endpoint) return {};
  return {
    [ENV.dynamodbEndpoint]: endpoint,
    [ENV.sqsEndpoint]: endpoint,
    [ENV.eventBridgeEndpoint]: endpoint,
    [ENV.firehoseEndpoint]: endpoint,
  };
}

const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/**
 * The four Lambda functions, each with its own role that holds exactly one
 * statement per resource it uses (no AWS managed policies), its own log group
 * with retention, arm64, and environment variables named by the same ENV
 * constants the functions read. The outbox functions are traced with X-Ray;
 * usage-events and change-events are not: Lambda does not trace invocations by
 * an MSK event source mapping (ARCHITECTURE.md, "Observability").
 */
export class Functions extends Construct {
  readonly usageEvents: NodejsFunction;
  readonly changeEvents: NodejsFunction;
  /**
   * What the Kafka mappings invoke: a published version, so a deploy moves
   * the mappings at once from one whole version to the next, and provisioned
   * concurrency (which only a version or an alias can have) is possible.
   */
  readonly usageEventsLive: Alias;
  readonly changeEventsLive: Alias;
  /** Absent in a shadow stack: nothing publishes its notifications. */
  readonly outboxRelay: NodejsFunction | undefined;
  readonly outboxSweeper: NodejsFunction | undefined;
  /** Reads the ledger stream: every fate to the archive before it expires. */
  readonly settlementArchiver: NodejsFunction;
  /** Reads the ledger stream: the live usage snapshots to Kafka; only when they are on. */
  readonly usageSnapshots: NodejsFunction | undefined;
  /** The usage API's reads of the ledger, behind the HTTP API. */
  readonly usageApi: NodejsFunction;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: FunctionsProps,
  ) {
    super(scope, id);
    const { config, data, cache, messaging } = props;
    const { ledger, outbox } = data;
    const statusIndexArn = `${outbox.tableArn}/index/${OUTBOX_TABLE.statusIndex.name}`;
    const notificationEnv = {
      [ENV.outboxTable]: outbox.tableName,
      [ENV.eventBusName]: messaging.bus.eventBusName,
      [ENV.notificationSource]: config.settlement.notificationSource,
      [ENV.notificationLocale]: config.settlement.notificationLocale,
    };

    // usage-events and change-events are both MSK consumers that decide against the ledger and Redis:
    // the same variables, and the same grants beyond how they read the ledger.
    const kafkaConsumerEnv = {
      // The Powertools tracer would open segments that nothing records.
      [ENV.traceEnabled]: 'false',
      [ENV.ledgerTable]: ledger.tableName,
      [ENV.outboxTable]: outbox.tableName,
      [ENV.deadLetterQueueUrl]: messaging.rejectedEventsQueue.queueUrl,
      [ENV.reportBatchItemFailures]: String(config.msk.provisionedPollers),
      ...(config.emulator.redisUrl
        ? { [ENV.redisUrl]: config.emulator.redisUrl, [ENV.redisCluster]: 'false' }
        : {
            [ENV.redisUrl]: cache.url,
            [ENV.redisCluster]: 'true',
            [ENV.redisAuthSecretArn]: cache.authSecret.secretArn,
          }),
    };
    const kafkaConsumerStatements = () => [
      new PolicyStatement({
        sid: 'OutboxStageInTransaction',
        actions: ['dynamodb:PutItem'],
        resources: [outbox.tableArn],
      }),
      // SendMessageBatch is authorised by sqs:SendMessage.
      new PolicyStatement({
        sid: 'RejectedEventsSend',
        actions: ['sqs:SendMessage'],
        resources: [messaging.rejectedEventsQueue.queueArn],
      }),
      new PolicyStatement({
        sid: 'CacheAuthTokenRead',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [cache.authSecret.secretArn],
      }),
    ];

    // The relay and the sweeper publish and move outbox items the same way.
    const outboxPublisherStatements = () => [
      new PolicyStatement({
        sid: 'OutboxTransition',
        // Every transition is a conditional UpdateItem; neither function reads items one by one.
        actions: ['dynamodb:UpdateItem'],
        resources: [outbox.tableArn],
      }),
      new PolicyStatement({
        sid: 'NotificationsPublish',
        actions: ['events:PutEvents'],
        resources: [messaging.bus.eventBusArn],
      }),
    ];

    this.usageEvents = this.createFunction('UsageEvents', {
      folder: 'usage-events',
      description:
        'Settles usage events from MSK: validate, Redis Lua decision, DynamoDB transaction with outbox',
      memorySize: config.functions.usageEventsMemoryMb,
      timeout: Duration.seconds(60),
      reservedConcurrency: config.functions.usageEventsReservedConcurrency,
      securityGroup: props.usageEventsSecurityGroup,
      withLuaScripts: true,
      traced: false,
      environment: {
        ...kafkaConsumerEnv,
        // When its settlement and rejection records expire.
        [ENV.settlementRetentionDays]: String(config.settlementRetentionDays),
      },
      statements: [
        new PolicyStatement({
          sid: 'LedgerReadWrite',
          // Reads for membership and hydration, batched reads of settlement fates; TransactWriteItems is
          // authorised per item as Put, Update and ConditionCheckItem (a period with nothing to write is
          // checked, not updated). No index.
          actions: [
            'dynamodb:GetItem',
            'dynamodb:BatchGetItem',
            'dynamodb:Query',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:ConditionCheckItem',
          ],
          resources: [ledger.tableArn],
        }),
        ...kafkaConsumerStatements(),
      ],
    });

    this.changeEvents = this.createFunction('ChangeEvents', {
      folder: 'change-events',
      description:
        'Applies policy and family events from MSK: validate, DynamoDB transaction with change log and outbox, then Redis in place',
      // A change is a few keyed reads and one transaction, and changes are rare next to usage events.
      memorySize: 512,
      timeout: Duration.seconds(60),
      reservedConcurrency: config.functions.changeEventsReservedConcurrency,
      securityGroup: props.changeEventsSecurityGroup,
      // The Redis adapter registers every script (apply-change among them) when it is created.
      withLuaScripts: true,
      traced: false,
      environment: kafkaConsumerEnv,
      statements: [
        new PolicyStatement({
          sid: 'LedgerReadWrite',
          // A change reads its family's items by key and partition, never through an index; its
          // TransactWriteItems is authorised per item as Put and Update; a change held for its member is
          // a Put, deleted once applied.
          actions: [
            'dynamodb:GetItem',
            'dynamodb:Query',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
          ],
          resources: [ledger.tableArn],
        }),
        ...kafkaConsumerStatements(),
      ],
    });

    this.settlementArchiver = this.createFunction('SettlementArchiver', {
      folder: 'settlement-archiver',
      description:
        'Archives every settlement and rejection record from the ledger stream to S3 through Firehose',
      memorySize: 512,
      timeout: Duration.seconds(60),
      // One invocation per stream shard at a time: the shard count bounds it, nothing to reserve.
      reservedConcurrency: 0,
      securityGroup: props.archiverSecurityGroup,
      withLuaScripts: false,
      traced: true,
      environment: { [ENV.archiveDeliveryStream]: props.archive.deliveryStream.ref },
      statements: [
        new PolicyStatement({
          sid: 'ArchiveDeliver',
          actions: ['firehose:PutRecordBatch'],
          resources: [props.archive.deliveryStream.attrArn],
        }),
      ],
    });

    this.usageApi = this.createUsageApi(config.usageApi.memberSettlementsIndex);

    this.usageSnapshots = config.usageSnapshots.enabled
      ? this.createUsageSnapshots(config.usageSnapshots, config.msk.clusterArn)
      : undefined;

    this.usageEventsLive = liveAlias(this.usageEvents, config.functions.usageEventsProvisionedConcurrency);
    this.changeEventsLive = liveAlias(this.changeEvents, config.functions.changeEventsProvisionedConcurrency);

    if (config.shadow) {
      this.outboxRelay = undefined;
      this.outboxSweeper = undefined;
      return;
    }
    this.outboxRelay = this.createFunction('OutboxRelay', {
      folder: 'outbox-relay',
      description:
        'Publishes new pending outbox items from the outbox stream to EventBridge and marks them SENT',
      memorySize: 512,
      timeout: Duration.seconds(30),
      reservedConcurrency: config.functions.relayReservedConcurrency,
      securityGroup: props.outboxSecurityGroup,
      withLuaScripts: false,
      traced: true,
      environment: notificationEnv,
      statements: [...outboxPublisherStatements()],
    });

    this.outboxSweeper = this.createFunction('OutboxSweeper', {
      folder: 'outbox-sweeper',
      description: 'Re-publishes due pending outbox items with backoff and marks exhausted ones FAILED',
      memorySize: 512,
      timeout: Duration.seconds(60),
      reservedConcurrency: config.functions.sweeperReservedConcurrency,
      securityGroup: props.outboxSecurityGroup,
      withLuaScripts: false,
      traced: true,
      environment: {
        ...notificationEnv,
        // Policy changes held for a member or family that never came go to the rejected-events queue.
        [ENV.ledgerTable]: ledger.tableName,
        [ENV.deadLetterQueueUrl]: messaging.rejectedEventsQueue.queueUrl,
      },
      statements: [
        new PolicyStatement({
          sid: 'OutboxDueItemsQuery',
          actions: ['dynamodb:Query'],
          resources: [statusIndexArn],
        }),
        ...outboxPublisherStatements(),
        new PolicyStatement({
          sid: 'HeldChangesExpire',
          // Expired held changes are found on the periods index (keys only), read back and deleted.
          actions: ['dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem'],
          resources: [ledger.tableArn, `${ledger.tableArn}/index/${LEDGER_TABLE.periodFamiliesIndex.name}`],
        }),
        new PolicyStatement({
          sid: 'RejectedEventsSend',
          actions: ['sqs:SendMessage'],
          resources: [messaging.rejectedEventsQueue.queueArn],
        }),
      ],
    });
  }

  /**
   * Reads only: the family's directory (Query), its period item and the global
   * policy (GetItem), and, with the index, a member's settlements (Query on it).
   */
  private createUsageApi(withSettlementsIndex: boolean): NodejsFunction {
    const { ledger } = this.props.data;
    return this.createFunction('UsageApi', {
      folder: 'usage-api',
      description:
        "Usage read API for the apps: a family's and a member's usage and settlements from the ledger",
      memorySize: 512,
      timeout: Duration.seconds(10),
      // Bounded by the API's throttle, not by a reservation that would take from the settlement's.
      reservedConcurrency: 0,
      securityGroup: this.props.usageApiSecurityGroup,
      withLuaScripts: false,
      traced: true,
      environment: { [ENV.ledgerTable]: ledger.tableName },
      statements: [
        new PolicyStatement({
          sid: 'LedgerUsageRead',
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: [ledger.tableArn],
        }),
        ...(withSettlementsIndex
          ? [
              new PolicyStatement({
                sid: 'MemberSettlementsQuery',
                actions: ['dynamodb:Query'],
                resources: [`${ledger.tableArn}/index/${LEDGER_TABLE.memberSettlementsIndex.name}`],
              }),
            ]
          : []),
      ],
    });
  }

  /** Reads the family and member items (limits) and the global policy; produces to one topic of the cluster. */
  private createUsageSnapshots(
    snapshots: { readonly topic: string; readonly bootstrapBrokers: string },
    clusterArn: string,
  ): NodejsFunction {
    const { ledger } = this.props.data;
    const arns = mskResourceArns({ clusterArn, topic: snapshots.topic, consumerGroup: '-' });
    return this.createFunction('UsageSnapshots', {
      folder: 'usage-snapshots',
      description:
        'Live usage snapshots (USAGE_UPDATED) from the ledger stream to a Kafka topic, keyed by familyId',
      memorySize: 512,
      timeout: Duration.seconds(30),
      // One invocation per stream shard at a time: the shard count bounds it, nothing to reserve.
      reservedConcurrency: 0,
      securityGroup: this.props.usageSnapshotsSecurityGroup,
      withLuaScripts: false,
      traced: true,
      environment: {
        [ENV.ledgerTable]: ledger.tableName,
        [ENV.usageSnapshots]: 'true',
        [ENV.usageSnapshotTopic]: snapshots.topic,
        [ENV.kafkaBootstrapBrokers]: snapshots.bootstrapBrokers,
        [ENV.kafkaIamAuth]: 'true',
      },
      statements: [
        new PolicyStatement({
          sid: 'LedgerLimitsRead',
          // Family and member items by key (BatchGetItem), the global policy (GetItem).
          actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
          resources: [ledger.tableArn],
        }),
        new PolicyStatement({
          sid: 'MskClusterConnect',
          actions: ['kafka-cluster:Connect'],
          resources: [arns.cluster],
        }),
        new PolicyStatement({
          sid: 'UsageSnapshotsProduce',
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
          resources: [arns.topic],
        }),
      ],
    });
  }

  private createFunction(
    id: string,
    spec: {
      folder: string;
      description: string;
      memorySize: number;
      timeout: Duration;
      reservedConcurrency: number;
      securityGroup: ISecurityGroup;
      withLuaScripts: boolean;
      /** Active X-Ray tracing; segments leave the VPC through its X-Ray endpoint. */
      traced: boolean;
      environment: Record<string, string>;
      statements: PolicyStatement[];
    },
  ): NodejsFunction {
    const { config } = this.props;
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: this.props.logRetention,
      removalPolicy: this.props.removalPolicy,
    });
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${spec.folder} execution role`,
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new PolicyStatement({ sid: 'VpcNetworkInterfaces', actions: VPC_ENI_ACTIONS, resources: ['*'] }),
    );
    for (const statement of spec.statements) role.addToPolicy(statement);

    const fn = new NodejsFunction(this, id, {
      entry: handlerEntry(spec.folder),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      description: spec.description,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      // 0 means "no reservation": the function then shares the account's unreserved pool.
      reservedConcurrentExecutions: spec.reservedConcurrency > 0 ? spec.reservedConcurrency : undefined,
      tracing: spec.traced ? Tracing.ACTIVE : Tracing.DISABLED,
      logGroup,
      role,
      vpc: this.props.vpc,
      vpcSubnets: this.props.subnets,
      securityGroups: [spec.securityGroup],
      bundling: bundlingOptions({ withLuaScripts: spec.withLuaScripts }),
      environment: {
        ...spec.environment,
        ...emulatorEndpoints(config.emulator.serviceEndpoint),
        [ENV.settlementTimeZone]: config.settlement.timeZone,
        [ENV.metricsNamespace]: METRIC_NAMESPACE,
        [ENV.serviceName]: SERVICE_NAME,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `Resource "*" appears only on actions without resource-level permissions: ${[
        ...new Set(Object.values(WILDCARD_REASONS)),
      ].join('; ')}.`,
    });
    return fn;
  }
}

/** The alias the mappings invoke, on the version this deploy publishes. */
export const LIVE_ALIAS = 'live';

function liveAlias(fn: NodejsFunction, provisionedConcurrency: number): Alias {
  return new Alias(fn, 'Live', {
    aliasName: LIVE_ALIAS,
    version: fn.currentVersion,
    provisionedConcurrentExecutions: provisionedConcurrency > 0 ? provisionedConcurrency : undefined,
  });
}
