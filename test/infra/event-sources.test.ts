import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_STATUS } from '../../functions/core/outbox/item';
import { ENV } from '../../functions/runtime/env';
import { EXAMPLE_MSK_CLUSTER_ARN } from '../../lib/parameters';
import {
  committedContext,
  EXAMPLE_EXISTING_VPC,
  logicalId,
  SYNTH_TIMEOUT_MS,
  type Synthesized,
  synthesize,
} from './support/synthesize';

let synth: Synthesized;
let template: Template;

beforeAll(() => {
  synth = synthesize();
  template = synth.template;
}, SYNTH_TIMEOUT_MS);

/** The function itself, or its alias: a Kafka mapping invokes the function's live alias. */
const invokedIds = (t: Template, functionPrefix: string) => {
  const fnId = logicalId(t, 'AWS::Lambda::Function', functionPrefix);
  const aliases = Object.entries(t.findResources('AWS::Lambda::Alias'))
    .filter(([, a]) => (a.Properties.FunctionName as { Ref?: string }).Ref === fnId)
    .map(([id]) => id);
  return new Set([fnId, ...aliases]);
};

/**
 * The resource a mapping's FunctionName names: a Ref to the function, or for an alias
 * `<function name>:live` built from the alias's ARN (Ref).
 */
const targetOf = (functionName: unknown) => /"Ref":"([^"]+)"/.exec(JSON.stringify(functionName))?.[1] ?? '';

const mappingsFor = (t: Template, functionPrefix: string) => {
  const ids = invokedIds(t, functionPrefix);
  return Object.entries(t.findResources('AWS::Lambda::EventSourceMapping'))
    .filter(([, m]) => ids.has(targetOf(m.Properties.FunctionName)))
    .map(([id, m]) => ({ id, props: m.Properties as Record<string, unknown> }));
};

const mappingFor = (functionPrefix: string) => {
  const mappings = mappingsFor(template, functionPrefix);
  expect(mappings).toHaveLength(1);
  return mappings[0]!.props;
};

/** The change-events mapping of one topic. */
const changeMapping = (t: Template, topic: string) => {
  const mappings = mappingsFor(t, 'FunctionsChangeEvents').filter((m) =>
    (m.props.Topics as string[]).includes(topic),
  );
  expect(mappings, topic).toHaveLength(1);
  return mappings[0]!;
};

describe('MSK event-source mapping (usage-events)', () => {
  it('reads the topic from LATEST with IAM auth, batching, one poller per 5 partitions and the Kafka error-handling controls', () => {
    const mapping = mappingFor('FunctionsUsageEvents');
    const failureQueue = logicalId(template, 'AWS::SQS::Queue', 'MessagingUsageEventsFailures');
    expect(mapping).toEqual({
      FunctionName: expect.anything(),
      EventSourceArn: EXAMPLE_MSK_CLUSTER_ARN,
      Topics: ['usage-events'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'usage-settlement' },
      StartingPosition: 'LATEST',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 0,
      // 40 partitions, 5 concurrent invocations a poller; never scaled, since scaling rebalances the group.
      ProvisionedPollerConfig: { MinimumPollers: 8, MaximumPollers: 8 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86_400,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failureQueue, 'Arn'] } } },
    });
    // IAM authentication: no SASL/SCRAM or mTLS secret is configured.
    expect(mapping.SourceAccessConfigurations).toBeUndefined();
  });

  it(
    'starts at the instant given with AT_TIMESTAMP, in Unix seconds; the change mappings stay at TRIM_HORIZON',
    () => {
      const cutover = synthesize({
        context: { mskStartingPosition: 'AT_TIMESTAMP', mskStartingTimestamp: '2027-03-01T00:00:00+09:00' },
      });
      const usage = mappingsFor(cutover.template, 'FunctionsUsageEvents');
      expect(usage[0]!.props).toMatchObject({
        StartingPosition: 'AT_TIMESTAMP',
        StartingPositionTimestamp: Date.UTC(2027, 1, 28, 15) / 1000,
      });
      for (const topic of ['policy-updated', 'family-updated']) {
        expect(changeMapping(cutover.template, topic).props.StartingPosition).toBe('TRIM_HORIZON');
        expect(changeMapping(cutover.template, topic).props.StartingPositionTimestamp).toBeUndefined();
      }
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'sizes its pollers from the partition count, min = max',
    () => {
      const sized = synthesize({ context: { mskPartitions: '64', usageEventsReservedConcurrency: '64' } });
      expect(mappingsFor(sized.template, 'FunctionsUsageEvents')[0]!.props.ProvisionedPollerConfig).toEqual({
        MinimumPollers: 13,
        MaximumPollers: 13,
      });
      const overridden = synthesize({ context: { mskPollers: '20' } });
      expect(
        mappingsFor(overridden.template, 'FunctionsUsageEvents')[0]!.props.ProvisionedPollerConfig,
      ).toEqual({
        MinimumPollers: 20,
        MaximumPollers: 20,
      });
    },
    SYNTH_TIMEOUT_MS,
  );

  it('invokes the live alias of the version this deploy publishes, not $LATEST, without provisioned concurrency by default', () => {
    const fnId = logicalId(template, 'AWS::Lambda::Function', 'FunctionsUsageEvents');
    const aliasId = logicalId(template, 'AWS::Lambda::Alias', 'FunctionsUsageEventsLive');
    const alias = template.findResources('AWS::Lambda::Alias')[aliasId]!.Properties;
    expect(alias).toMatchObject({
      Name: 'live',
      FunctionName: { Ref: fnId },
      FunctionVersion: {
        'Fn::GetAtt': [expect.stringMatching(/^FunctionsUsageEventsCurrentVersion/), 'Version'],
      },
    });
    expect(alias.ProvisionedConcurrencyConfig).toBeUndefined();
    expect(targetOf(mappingFor('FunctionsUsageEvents').FunctionName)).toBe(aliasId);
    expect(JSON.stringify(mappingFor('FunctionsUsageEvents').FunctionName)).toContain(':live');
    for (const topic of ['policy-updated', 'family-updated']) {
      expect(targetOf(changeMapping(template, topic).props.FunctionName)).toBe(
        logicalId(template, 'AWS::Lambda::Alias', 'FunctionsChangeEventsLive'),
      );
    }
  });

  it(
    'keeps the provisioned concurrency asked for on each alias, within the reservation',
    () => {
      const warm = synthesize({
        context: { usageEventsProvisionedConcurrency: '40', changeEventsProvisionedConcurrency: '2' },
      }).template;
      const pc = (prefix: string) =>
        warm.findResources('AWS::Lambda::Alias')[logicalId(warm, 'AWS::Lambda::Alias', prefix)]!.Properties
          .ProvisionedConcurrencyConfig;
      expect(pc('FunctionsUsageEventsLive')).toEqual({ ProvisionedConcurrentExecutions: 40 });
      expect(pc('FunctionsChangeEventsLive')).toEqual({ ProvisionedConcurrentExecutions: 2 });
      expect(() => synthesize({ context: { usageEventsProvisionedConcurrency: '41' } })).toThrow(
        /usageEventsProvisionedConcurrency \(USAGE_EVENTS_PROVISIONED_CONCURRENCY\) 41 exceeds usageEventsReservedConcurrency/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'is left out with mskUsageMapping=false (a stack readied for the switch), the change mappings kept',
    () => {
      const ready = synthesize({ context: { mskUsageMapping: 'false' } }).template;
      expect(mappingsFor(ready, 'FunctionsUsageEvents')).toEqual([]);
      expect(mappingsFor(ready, 'FunctionsChangeEvents')).toHaveLength(2);
    },
    SYNTH_TIMEOUT_MS,
  );

  it('keeps its logical id: a new one would make CloudFormation replace the deployed mapping', () => {
    const ids = mappingsFor(template, 'FunctionsUsageEvents').map((m) => m.id);
    expect(ids).toEqual(['TriggersUsageEventsFromMsk67523A60']);
  });

  it(
    'in on-demand mode drops the provisioned-only controls and warns',
    () => {
      const onDemand = synthesize({ context: { mskProvisionedPollers: 'false' } });
      onDemand.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        Topics: ['usage-events'],
        DestinationConfig: Match.anyValue(),
        ProvisionedPollerConfig: Match.absent(),
        FunctionResponseTypes: Match.absent(),
        BisectBatchOnFunctionError: Match.absent(),
        MaximumRetryAttempts: Match.absent(),
        MaximumRecordAgeInSeconds: Match.absent(),
      });
      Annotations.fromStack(onDemand.stack).hasWarning(
        '*',
        Match.stringLikeRegexp('on-demand mode: partial batch responses'),
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('MSK event-source mappings (change-events)', () => {
  it.each([
    ['policy-updated', 'usage-settlement-policy-updated'],
    ['family-updated', 'usage-settlement-family-updated'],
  ])(
    'reads %s as consumer group %s from TRIM_HORIZON, on one poller of the shared config poller group',
    (topic, group) => {
      const failureQueue = logicalId(template, 'AWS::SQS::Queue', 'MessagingChangeEventsFailures');
      expect(changeMapping(template, topic).props).toEqual({
        FunctionName: expect.anything(),
        EventSourceArn: EXAMPLE_MSK_CLUSTER_ARN,
        Topics: [topic],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 500,
        MaximumBatchingWindowInSeconds: 0,
        ProvisionedPollerConfig: {
          MinimumPollers: 1,
          MaximumPollers: 1,
          PollerGroupName: 'usage-settlement-change-events',
        },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 86_400,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failureQueue, 'Arn'] } } },
      });
    },
  );

  it('sends discarded batches to a queue of their own, not to the usage-events one', () => {
    const usageFailures = logicalId(template, 'AWS::SQS::Queue', 'MessagingUsageEventsFailures');
    const changeFailures = logicalId(template, 'AWS::SQS::Queue', 'MessagingChangeEventsFailures');
    expect(changeFailures).not.toBe(usageFailures);
    expect(mappingsFor(template, 'FunctionsChangeEvents')).toHaveLength(2);
    // change-events may write to its own failure queue only (the mappings' on-failure grant).
    const destination = { 'Fn::GetAtt': [usageFailures, 'Arn'] };
    const changeRole = (
      template.findResources('AWS::Lambda::Function')[
        logicalId(template, 'AWS::Lambda::Function', 'FunctionsChangeEvents')
      ]!.Properties.Role as { 'Fn::GetAtt': string[] }
    )['Fn::GetAtt'][0];
    const grants = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === changeRole))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Resource: unknown }[]);
    expect(grants.map((g) => g.Resource)).not.toContainEqual(destination);
  });

  it(
    'follows the topic and consumer-group parameters',
    () => {
      const custom = synthesize({
        context: {
          mskPolicyTopic: 'policies',
          mskPolicyConsumerGroup: 'policies-v2',
          mskFamilyTopic: 'families',
          mskFamilyConsumerGroup: 'families-v2',
        },
      }).template;
      expect(changeMapping(custom, 'policies').props.AmazonManagedKafkaEventSourceConfig).toEqual({
        ConsumerGroupId: 'policies-v2',
      });
      expect(changeMapping(custom, 'families').props.AmazonManagedKafkaEventSourceConfig).toEqual({
        ConsumerGroupId: 'families-v2',
      });
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'in on-demand mode drops the provisioned-only controls on every mapping, and tells the handler',
    () => {
      const onDemand = synthesize({ context: { mskProvisionedPollers: 'false' } }).template;
      const mappings = [
        ...mappingsFor(onDemand, 'FunctionsUsageEvents'),
        ...mappingsFor(onDemand, 'FunctionsChangeEvents'),
      ];
      expect(mappings).toHaveLength(3);
      for (const { props } of mappings) {
        expect(props).toMatchObject({ DestinationConfig: expect.anything() });
        for (const provisionedOnly of [
          'ProvisionedPollerConfig',
          'FunctionResponseTypes',
          'BisectBatchOnFunctionError',
          'MaximumRetryAttempts',
          'MaximumRecordAgeInSeconds',
        ]) {
          expect(props[provisionedOnly], provisionedOnly).toBeUndefined();
        }
      }
      // Without partial batch responses Lambda would ignore batchItemFailures: the handler must throw instead.
      const fn =
        onDemand.findResources('AWS::Lambda::Function')[
          logicalId(onDemand, 'AWS::Lambda::Function', 'FunctionsChangeEvents')
        ]!;
      expect(fn.Properties.Environment.Variables[ENV.reportBatchItemFailures]).toBe('false');
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('the on-failure destination of the MSK mappings', () => {
  it("warns at synthesis while nothing says the cluster's VPC has an SQS endpoint for it", () => {
    Annotations.fromStack(synth.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('SQS interface endpoint in the cluster.s VPC'),
    );
  });

  it(
    "is served by the stack's own SQS endpoint when the stack deploys into the cluster's VPC",
    () => {
      const inClusterVpc = synthesize({
        context: { ...committedContext(), ...EXAMPLE_EXISTING_VPC, mskClusterSqsEndpoint: 'stack' },
      });
      Annotations.fromStack(inClusterVpc.stack).hasNoWarning(
        '*',
        Match.stringLikeRegexp('SQS interface endpoint in the cluster.s VPC'),
      );
      const sqsEndpoints = Object.values(inClusterVpc.template.findResources('AWS::EC2::VPCEndpoint')).filter(
        (e) => JSON.stringify(e.Properties.ServiceName).includes('.sqs'),
      );
      expect(sqsEndpoints).toHaveLength(1);
      expect(sqsEndpoints[0]!.Properties).toMatchObject({
        VpcId: EXAMPLE_EXISTING_VPC.vpcId,
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
      });
    },
    SYNTH_TIMEOUT_MS,
  );
});

/**
 * A tiny evaluator of the Lambda filter-pattern subset the relay uses
 * (literal values and anything-but), so the test checks behaviour, not JSON shape.
 */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule) => {
      if (rule !== null && typeof rule === 'object' && 'anything-but' in rule) {
        const excluded = (rule as { 'anything-but': unknown[] })['anything-but'];
        return value !== undefined && !excluded.includes(value);
      }
      return rule === value;
    });
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (value === null || typeof value !== 'object') return false;
    return Object.entries(pattern).every(([key, sub]) =>
      matches(sub, (value as Record<string, unknown>)[key]),
    );
  }
  return false;
}

const streamRecord = (eventName: string, oldStatus?: string, newStatus?: string) => ({
  eventName,
  dynamodb: {
    ...(oldStatus ? { OldImage: { status: { S: oldStatus } } } : {}),
    ...(newStatus ? { NewImage: { status: { S: newStatus } } } : {}),
  },
});

describe('outbox stream mapping (relay)', () => {
  const { pending, sent, failed } = OUTBOX_STATUS;

  it('reports item failures, bisects, retries a bounded number of times and has an SQS on-failure destination', () => {
    const mapping = mappingFor('FunctionsOutboxRelay');
    const outbox = logicalId(template, 'AWS::DynamoDB::Table', 'DataOutbox');
    const failureQueue = logicalId(template, 'AWS::SQS::Queue', 'MessagingRelayFailures');
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [outbox, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failureQueue, 'Arn'] } } },
    });
  });

  it.each([
    ['a new pending item (INSERT)', streamRecord('INSERT', undefined, pending), true],
    ['a requeued FAILED item (MODIFY FAILED -> PENDING)', streamRecord('MODIFY', failed, pending), true],
    ['an attempt bump (MODIFY PENDING -> PENDING)', streamRecord('MODIFY', pending, pending), false],
    ['a publish (MODIFY PENDING -> SENT)', streamRecord('MODIFY', pending, sent), false],
    ['giving up (MODIFY PENDING -> FAILED)', streamRecord('MODIFY', pending, failed), false],
    ['a TTL expiry (REMOVE)', streamRecord('REMOVE', sent, undefined), false],
    ['an INSERT that is not pending', streamRecord('INSERT', undefined, sent), false],
  ])('filter: %s -> invokes the relay: %s', (_name, record, expected) => {
    const mapping = mappingFor('FunctionsOutboxRelay');
    const filters = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    const invoked = filters.some((f) => matches(JSON.parse(f.Pattern), record));
    expect(invoked).toBe(expected);
  });
});

describe('sweeper schedule', () => {
  it('invokes the sweeper every minute with a retry policy and a dead-letter queue', () => {
    const sweeper = logicalId(template, 'AWS::Lambda::Function', 'FunctionsOutboxSweeper');
    const dlq = logicalId(template, 'AWS::SQS::Queue', 'MessagingSweeperScheduleDlq');
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [sweeper, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
        RoleArn: Match.anyValue(),
      },
    });
  });

  it("sets the sweeper's own async invoke config: a throttled or failed run goes to the same dead-letter queue within one period", () => {
    // The schedule's DLQ only sees refused Invoke calls; throttles and errors happen in Lambda's async queue.
    const sweeper = logicalId(template, 'AWS::Lambda::Function', 'FunctionsOutboxSweeper');
    const dlq = logicalId(template, 'AWS::SQS::Queue', 'MessagingSweeperScheduleDlq');
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(configs.map((c) => c.Properties)).toEqual([
      {
        FunctionName: { Ref: sweeper },
        Qualifier: '$LATEST',
        MaximumEventAgeInSeconds: 60,
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
      },
    ]);
    const sweeperRole = (
      template.findResources('AWS::Lambda::Function')[sweeper]!.Properties.Role as { 'Fn::GetAtt': string[] }
    )['Fn::GetAtt'][0];
    const sends = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === sweeperRole))
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      )
      .filter((st) => [st.Action].flat().includes('sqs:SendMessage'));
    // Its own failures go to the schedule's queue; held policy changes whose wait ran out, to the rejected events.
    const rejected = logicalId(template, 'AWS::SQS::Queue', 'MessagingRejectedEvents');
    expect(sends.map((st) => st.Resource)).toEqual(
      expect.arrayContaining([{ 'Fn::GetAtt': [dlq, 'Arn'] }, { 'Fn::GetAtt': [rejected, 'Arn'] }]),
    );
    expect(sends).toHaveLength(2);
  });

  it(
    'keeps the maximum event age at one sweeper period',
    () => {
      const every5 = synthesize({ context: { sweeperRateMinutes: '5' } }).template;
      every5.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 300 });
    },
    SYNTH_TIMEOUT_MS,
  );

  it('lets the scheduler role invoke only the sweeper and write only to its dead-letter queue', () => {
    const scheduleRole = logicalId(template, 'AWS::IAM::Role', 'TriggersSweeperScheduleRole');
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === scheduleRole),
    );
    const actions = policies.flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action),
    );
    expect(new Set(actions)).toEqual(new Set(['lambda:InvokeFunction', 'sqs:SendMessage']));
  });
});
