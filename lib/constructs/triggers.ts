import { Annotations, type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type IFunction,
  type ProvisionedPollerConfig,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FATE_ITEM_TYPES } from '../../functions/adapters/dynamodb/fate-stream';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import { OUTBOX_TABLE } from '../../functions/adapters/dynamodb/table-layout';
import { OUTBOX_STATUS } from '../../functions/core/outbox/item';
import { type KafkaSubscription, type MskConfig, mskResourceArns } from '../config';

export interface TriggersProps {
  readonly msk: MskConfig;
  readonly usageEvents: IFunction;
  readonly usageEventsFailureQueue: IQueue;
  readonly changeEvents: IFunction;
  /**
   * Not the usage-events queue: a skipped change batch leaves families' members,
   * quotas or policies behind the producer's (every later usage decision of those
   * families is affected), it is replayed from other topics, and change-events'
   * role then never writes into usage-events' queue.
   */
  readonly changeEventsFailureQueue: IQueue;
  /** With the sweeper, absent in a shadow stack: then nothing triggers either. */
  readonly outboxRelay: IFunction | undefined;
  readonly outbox: ITable;
  readonly relayFailureQueue: IQueue;
  readonly outboxSweeper: IFunction | undefined;
  readonly sweeperRate: Duration;
  readonly sweeperScheduleDeadLetterQueue: IQueue;
  readonly settlementArchiver: IFunction;
  /** Only when the live usage snapshots are on. */
  readonly usageSnapshots: IFunction | undefined;
  readonly ledger: ITable;
  readonly archiveFailureQueue: IQueue;
}

/**
 * A relay batch is retried a few times only: a pending item the relay gives
 * up on stays PUBLISH_PENDING and the sweeper publishes it (docs/behaviour.md, "The outbox").
 */
const RELAY_RETRY_ATTEMPTS = 3;
const RELAY_MAX_RECORD_AGE = Duration.hours(1);

/**
 * Pending outbox records only: a new item (INSERT) or a requeue of a FAILED
 * item (MODIFY into PUBLISH_PENDING from another status). PENDING to PENDING
 * (attempt bumps by the sweeper) and transitions to SENT or FAILED never
 * invoke the relay.
 */
export function pendingOutboxFilters(): Array<Record<string, unknown>> {
  const status = OUTBOX_TABLE.statusIndex.partitionKey;
  const pending = OUTBOX_STATUS.pending;
  return [
    FilterCriteria.filter({
      eventName: FilterRule.isEqual('INSERT'),
      dynamodb: { NewImage: { [status]: { S: FilterRule.isEqual(pending) } } },
    }),
    FilterCriteria.filter({
      eventName: FilterRule.isEqual('MODIFY'),
      dynamodb: {
        NewImage: { [status]: { S: FilterRule.isEqual(pending) } },
        OldImage: { [status]: { S: FilterRule.notEquals(pending) } },
      },
    }),
  ];
}

/** About a kilobyte a stream record: a batch stays well under Lambda's 6 MB payload. */
const ARCHIVE_BATCH_SIZE = 1_000;

/** Settlement and rejection records written or changed: nothing else of the ledger is archived. */
export function fateFilters(): Array<Record<string, unknown>> {
  return [
    FilterCriteria.filter({
      eventName: FilterRule.or('INSERT', 'MODIFY'),
      dynamodb: { NewImage: { type: { S: FilterRule.or(...FATE_ITEM_TYPES) } } },
    }),
  ];
}

/** A period item with both images is a few kilobytes at most: well under Lambda's payload limit. */
const SNAPSHOT_BATCH_SIZE = 500;

/** Family period items written or changed (the commits): what the live usage snapshots are built from. */
export function periodItemFilters(): Array<Record<string, unknown>> {
  return [
    FilterCriteria.filter({
      eventName: FilterRule.or('INSERT', 'MODIFY'),
      dynamodb: { Keys: { SK: { S: FilterRule.beginsWith(ledgerKeys.periodPrefix('')) } } },
    }),
  ];
}

/**
 * What invokes the functions: the MSK event-source mappings (IAM auth), one
 * for usage events and one per change topic, the outbox stream mapping with its
 * pending-record filter, and the sweeper's EventBridge Scheduler schedule with
 * the sweeper's asynchronous invocation settings.
 */
export class Triggers extends Construct {
  /** Absent until the switch from the replaced system (mskUsageMapping=false). */
  readonly mskMapping: EventSourceMapping | undefined;
  readonly policyUpdatedMapping: EventSourceMapping;
  readonly familyUpdatedMapping: EventSourceMapping;
  readonly sweeperSchedule: Schedule | undefined;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: TriggersProps,
  ) {
    super(scope, id);
    const { msk } = props;
    const usage = { topic: msk.topic, consumerGroup: msk.consumerGroup };
    const { policy, family } = msk.changeTopics;
    // A construct id makes the logical id: a new id for this one would replace the deployed mapping.
    this.mskMapping = msk.usageMapping
      ? this.mskEventSource('UsageEventsFromMsk', props.usageEvents, usage, {
          failureQueue: props.usageEventsFailureQueue,
          startingPosition: msk.startingPosition,
          pollers: { minimumPollers: msk.pollers, maximumPollers: msk.pollers },
        })
      : undefined;
    // Changes are versioned by their timestamp and a replayed one is stale, so reading what the topics
    // hold costs nothing, while starting at LATEST could miss a change sent while the mapping is being created.
    const config = {
      failureQueue: props.changeEventsFailureQueue,
      startingPosition: { position: 'TRIM_HORIZON' } as const,
      pollers: {
        minimumPollers: msk.changePollers,
        maximumPollers: msk.changePollers,
        pollerGroupName: msk.changePollerGroup,
      },
    };
    this.policyUpdatedMapping = this.mskEventSource(
      'PolicyUpdatedFromMsk',
      props.changeEvents,
      policy,
      config,
    );
    this.familyUpdatedMapping = this.mskEventSource(
      'FamilyUpdatedFromMsk',
      props.changeEvents,
      family,
      config,
    );
    this.grantMskRead(props.usageEvents, msk.clusterArn, [usage]);
    this.grantMskRead(props.changeEvents, msk.clusterArn, [policy, family]);
    this.warnAboutMskSettings(msk);
    if (props.outboxRelay) this.outboxStream(props.outboxRelay, props);
    this.ledgerStreamToArchive(props);
    if (props.usageSnapshots) this.ledgerStreamToSnapshots(props.usageSnapshots, props.ledger);
    this.sweeperSchedule = props.outboxSweeper
      ? this.sweeperScheduleFor(props.outboxSweeper, props)
      : undefined;
  }

  private sweeperScheduleFor(sweeper: IFunction, props: TriggersProps): Schedule {
    const stack = Stack.of(this);
    const role = new Role(this, 'SweeperScheduleRole', {
      description: 'EventBridge Scheduler: invoke the outbox sweeper, dead-letter failed invocations',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    const schedule = new Schedule(this, 'SweeperSchedule', {
      description: 'Runs the outbox sweeper: re-publish due pending notifications, fail exhausted ones',
      schedule: ScheduleExpression.rate(props.sweeperRate),
      target: new LambdaInvoke(sweeper, {
        role,
        retryAttempts: 2,
        // A run older than one period is pointless: the next scheduled run already does the same work.
        maxEventAge: props.sweeperRate,
        deadLetterQueue: props.sweeperScheduleDeadLetterQueue,
      }),
    });
    // Scheduler invokes asynchronously: its retry policy and dead-letter queue only see a refused Invoke
    // call. Lambda queues the event, and throttles or a function error happen later, in Lambda's own
    // async queue: without this config a throttled run waits up to 6 hours and then disappears.
    sweeper.configureAsyncInvoke({
      maxEventAge: props.sweeperRate,
      // The next scheduled run does the same work; a failed run is reported, not repeated.
      retryAttempts: 0,
      onFailure: new SqsDestination(props.sweeperScheduleDeadLetterQueue),
    });
    const sweeperId = stack.getLogicalId(sweeper.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${sweeperId}.Arn>:*]`,
      reason:
        'grantInvoke also covers the versions and aliases of the one sweeper function (<arn>:*); no other function is reachable.',
    });
    return schedule;
  }

  /**
   * The L2 EventSourceMapping exposes every property these mappings need
   * (provisioned pollers, the Kafka error-handling controls, the on-failure
   * destination), so no escape hatch is used. It is used instead of
   * ManagedKafkaEventSource because that one attaches the AWS managed policy
   * AWSLambdaMSKExecutionRole; grantMskRead is the scoped equivalent.
   */
  private mskEventSource(
    id: string,
    target: IFunction,
    subscription: KafkaSubscription,
    options: {
      failureQueue: IQueue;
      startingPosition: MskConfig['startingPosition'];
      pollers: ProvisionedPollerConfig;
    },
  ): EventSourceMapping {
    const { msk } = this.props;
    const provisioned = msk.provisionedPollers
      ? {
          provisionedPollerConfig: options.pollers,
          reportBatchItemFailures: true,
          bisectBatchOnError: true,
          retryAttempts: msk.retryAttempts,
          maxRecordAge: Duration.seconds(msk.maxRecordAgeSeconds),
        }
      : {};
    return new EventSourceMapping(this, id, {
      target,
      eventSourceArn: msk.clusterArn,
      kafkaTopic: subscription.topic,
      kafkaConsumerGroupId: subscription.consumerGroup,
      startingPosition: StartingPosition[options.startingPosition.position],
      startingPositionTimestamp:
        options.startingPosition.position === 'AT_TIMESTAMP'
          ? options.startingPosition.timestampSeconds
          : undefined,
      batchSize: msk.batchSize,
      maxBatchingWindow: Duration.seconds(msk.batchingWindowSeconds),
      onFailure: new SqsDlq(options.failureQueue),
      ...provisioned,
    });
  }

  /** Once for all mappings: they share the cluster and the settings the warnings are about. */
  private warnAboutMskSettings(msk: MskConfig): void {
    if (msk.failureDestinationEndpoint === undefined) {
      Annotations.of(this).addWarningV2(
        'usage-settlement:mskFailureDestinationEndpoint',
        "The MSK pollers reach the on-failure queues only through an SQS interface endpoint in the cluster's VPC; " +
          'without one, discarded batches are lost without a trace. A deploy must set mskClusterSqsEndpoint ' +
          '(stack or existing); see docs/deploy.md.',
      );
    }
    if (!msk.provisionedPollers) {
      Annotations.of(this).addWarningV2(
        'usage-settlement:mskOnDemandPollers',
        'MSK mappings in on-demand mode: partial batch responses, bisect, retry and record-age limits are not ' +
          'applied by Lambda; the handlers then fail an unfinished batch whole so it is retried. See ARCHITECTURE.md.',
      );
    }
  }

  /**
   * What the pollers of a function's mappings need with IAM auth, in the
   * function's role: the cluster, each topic it reads and each of its consumer
   * groups, nothing else of the cluster.
   */
  private grantMskRead(fn: IFunction, clusterArn: string, subscriptions: readonly KafkaSubscription[]): void {
    const arns = subscriptions.map((s) => mskResourceArns({ clusterArn, ...s }));
    for (const statement of [
      new PolicyStatement({
        sid: 'MskClusterConnect',
        actions: [
          'kafka:DescribeCluster',
          'kafka:DescribeClusterV2',
          'kafka:GetBootstrapBrokers',
          'kafka-cluster:Connect',
          'kafka-cluster:DescribeClusterDynamicConfiguration',
        ],
        resources: [clusterArn],
      }),
      new PolicyStatement({
        sid: 'MskTopicRead',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: arns.map((a) => a.topic),
      }),
      new PolicyStatement({
        sid: 'MskConsumerGroup',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: arns.map((a) => a.group),
      }),
      // The pollers create their ENIs in the MSK cluster's VPC and need to describe it.
      new PolicyStatement({
        sid: 'MskPollerNetwork',
        actions: ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups'],
        resources: ['*'],
      }),
    ]) {
      fn.addToRolePolicy(statement);
    }
  }

  /**
   * A fate must reach the archive while the stream still holds it (24 hours):
   * retries go on for most of that day, then the batch's coordinates go to the
   * failure queue, which alarms.
   */
  private ledgerStreamToArchive(props: TriggersProps): void {
    props.settlementArchiver.addEventSource(
      new DynamoEventSource(props.ledger, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: ARCHIVE_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(10),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10_000,
        maxRecordAge: Duration.hours(20),
        onFailure: new SqsDlq(props.archiveFailureQueue),
        filters: fateFilters(),
      }),
    );
  }

  /**
   * Snapshots are best effort and superseded: the stream is read from now on,
   * a batch is tried briefly, and one older than a few minutes is dropped
   * rather than shown. One invocation per shard keeps a family's commits in order.
   */
  private ledgerStreamToSnapshots(fn: IFunction, ledger: ITable): void {
    fn.addEventSource(
      new DynamoEventSource(ledger, {
        startingPosition: StartingPosition.LATEST,
        batchSize: SNAPSHOT_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(0),
        parallelizationFactor: 1,
        retryAttempts: 2,
        maxRecordAge: Duration.minutes(5),
        filters: periodItemFilters(),
      }),
    );
  }

  private outboxStream(relay: IFunction, props: TriggersProps): void {
    relay.addEventSource(
      new DynamoEventSource(props.outbox, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: RELAY_RETRY_ATTEMPTS,
        maxRecordAge: RELAY_MAX_RECORD_AGE,
        onFailure: new SqsDlq(props.relayFailureQueue),
        filters: pendingOutboxFilters(),
      }),
    );
  }
}
