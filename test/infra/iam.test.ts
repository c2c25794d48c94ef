import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { mskResourceArns } from '../../lib/config';
import { WILDCARD_REASONS } from '../../lib/constructs/functions';
import { EXAMPLE_MSK_CLUSTER_ARN } from '../../lib/parameters';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

let template: Template;

beforeAll(() => {
  template = synthesize().template;
}, SYNTH_TIMEOUT_MS);

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function roleOf(functionPrefix: string): string {
  const fnId = logicalId(template, 'AWS::Lambda::Function', functionPrefix);
  const role = template.findResources('AWS::Lambda::Function')[fnId]!.Properties.Role as {
    'Fn::GetAtt': [string, string];
  };
  return role['Fn::GetAtt'][0];
}

function statementsOf(roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) => new Set(statements.flatMap((s) => asArray(s.Action)));

const FUNCTIONS = {
  usageEvents: 'FunctionsUsageEvents',
  changeEvents: 'FunctionsChangeEvents',
  outboxRelay: 'FunctionsOutboxRelay',
  outboxSweeper: 'FunctionsOutboxSweeper',
  settlementArchiver: 'FunctionsSettlementArchiver',
  usageApi: 'FunctionsUsageApi',
} as const;

describe.each(Object.entries(FUNCTIONS))('%s execution role', (_name, prefix) => {
  it('has no AWS managed policies: every permission is an inline statement of this stack', () => {
    const role = template.findResources('AWS::IAM::Role')[roleOf(prefix)]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('uses Resource "*" only for actions that have no resource-level permissions, each with a stated reason', () => {
    for (const statement of statementsOf(roleOf(prefix))) {
      const resources = asArray(statement.Resource);
      const wildcard = resources.some((r) => typeof r === 'string' && r.includes('*'));
      if (!wildcard) continue;
      expect(resources, `statement ${statement.Sid ?? JSON.stringify(statement.Action)}`).toEqual(['*']);
      for (const action of asArray(statement.Action)) {
        expect(WILDCARD_REASONS[action], `no stated reason for ${action} on "*"`).toMatch(/^.{20,}$/);
      }
    }
  });

  it('allows only, never denies or uses NotAction', () => {
    for (const statement of statementsOf(roleOf(prefix))) {
      expect(statement.Effect).toBe('Allow');
      expect(statement).not.toHaveProperty('NotAction');
    }
  });
});

describe('least-privilege grants per function', () => {
  it('usage-api: reads only, the ledger by key and partition and the member settlements index, nothing else', () => {
    const statements = statementsOf(roleOf(FUNCTIONS.usageApi)).filter(
      (s) => s.Sid !== 'VpcNetworkInterfaces',
    );
    const ledger = logicalId(template, 'AWS::DynamoDB::Table', 'DataLedger');
    const dynamo = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => ({ Sid: s.Sid, Action: s.Action, Resource: s.Resource }))).toEqual([
      {
        Sid: 'LedgerUsageRead',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': [ledger, 'Arn'] },
      },
      {
        Sid: 'MemberSettlementsQuery',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ledger, 'Arn'] }, '/index/GSI3']] },
      },
    ]);
    // Besides DynamoDB only its own logs and X-Ray.
    expect(
      [...actionsOf(statements)].filter((a) => !/^(dynamodb:(GetItem|Query)|logs:|xray:)/.test(a)),
    ).toEqual([]);
  });

  it('usage-events: ledger items read/write (no index), outbox put, DLQ send, cache secret, MSK cluster/topic/group; nothing to publish', () => {
    const statements = statementsOf(roleOf(FUNCTIONS.usageEvents));
    const ledger = logicalId(template, 'AWS::DynamoDB::Table', 'DataLedger');
    const outbox = logicalId(template, 'AWS::DynamoDB::Table', 'DataOutbox');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);

    // Keyed reads, the family directory Query, and TransactWriteItems (Put, Update, ConditionCheck per item).
    expect(bySid('LedgerReadWrite')).toMatchObject({
      Action: [
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      Resource: { 'Fn::GetAtt': [ledger, 'Arn'] },
    });
    expect(JSON.stringify(statements)).not.toContain('/index/');
    expect(bySid('OutboxStageInTransaction')).toMatchObject({
      Action: 'dynamodb:PutItem',
      Resource: { 'Fn::GetAtt': [outbox, 'Arn'] },
    });
    expect(bySid('RejectedEventsSend')?.Action).toBe('sqs:SendMessage');
    expect(bySid('CacheAuthTokenRead')?.Action).toBe('secretsmanager:GetSecretValue');

    const arns = mskResourceArns({
      clusterArn: EXAMPLE_MSK_CLUSTER_ARN,
      topic: 'usage-events',
      consumerGroup: 'usage-settlement',
    });
    expect(bySid('MskClusterConnect')?.Resource).toBe(arns.cluster);
    expect(bySid('MskTopicRead')?.Resource).toBe(arns.topic);
    expect(bySid('MskConsumerGroup')?.Resource).toBe(arns.group);
    expect(arns.topic).toBe(
      'arn:aws:kafka:ap-northeast-2:123456789012:topic/example-usage-cluster/00000000-0000-0000-0000-000000000000-1/usage-events',
    );

    const actions = actionsOf(statements);
    expect([...actions].filter((a) => a.startsWith('xray:'))).toEqual([]);
    // The usage snapshots come from the ledger stream: settlement publishes nothing.
    expect([...actions].filter((a) => a.startsWith('events:') || a.startsWith('firehose:'))).toEqual([]);
    expect(actions.has('kafka-cluster:WriteData')).toBe(false);
    expect(actions.has('dynamodb:BatchGetItem')).toBe(true);
    expect(actions.has('dynamodb:DeleteItem')).toBe(false);
    expect(actions.has('dynamodb:Scan')).toBe(false);
  });

  it('change-events: ledger table items (no index), outbox put, DLQ send, cache secret, MSK cluster and both topics and groups; nothing to publish', () => {
    const statements = statementsOf(roleOf(FUNCTIONS.changeEvents));
    const ledger = logicalId(template, 'AWS::DynamoDB::Table', 'DataLedger');
    const outbox = logicalId(template, 'AWS::DynamoDB::Table', 'DataOutbox');
    const rejected = logicalId(template, 'AWS::SQS::Queue', 'MessagingRejectedEvents');
    const failures = logicalId(template, 'AWS::SQS::Queue', 'MessagingChangeEventsFailures');
    const secret = logicalId(template, 'AWS::SecretsManager::Secret', 'CacheAuthToken');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);

    // Keyed reads and TransactWriteItems (authorised per item as Put and Update) on the table itself; a held
    // change is deleted once applied.
    expect(bySid('LedgerReadWrite')).toMatchObject({
      Action: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      Resource: { 'Fn::GetAtt': [ledger, 'Arn'] },
    });
    // The screens a change alters reach the snapshots through the ledger's stream.
    expect([...actionsOf(statements)].filter((a) => a.startsWith('events:'))).toEqual([]);
    expect(bySid('OutboxStageInTransaction')).toMatchObject({
      Action: 'dynamodb:PutItem',
      Resource: { 'Fn::GetAtt': [outbox, 'Arn'] },
    });
    expect(bySid('RejectedEventsSend')).toMatchObject({
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [rejected, 'Arn'] },
    });
    expect(bySid('CacheAuthTokenRead')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: { Ref: secret },
    });

    const arns = (topic: string, consumerGroup: string) =>
      mskResourceArns({ clusterArn: EXAMPLE_MSK_CLUSTER_ARN, topic, consumerGroup });
    const policy = arns('policy-updated', 'usage-settlement-policy-updated');
    const family = arns('family-updated', 'usage-settlement-family-updated');
    expect(bySid('MskClusterConnect')?.Resource).toBe(EXAMPLE_MSK_CLUSTER_ARN);
    // aws-cdk-lib sorts a statement's resources (minimizePolicies): the order says nothing.
    expect(bySid('MskTopicRead')?.Resource).toEqual([policy.topic, family.topic].sort());
    expect(bySid('MskConsumerGroup')?.Resource).toEqual([policy.group, family.group].sort());

    // Every SQS grant names one of its two queues: the DLQ and its mappings' on-failure queue.
    const sqsResources = statements
      .filter((s) => asArray(s.Action).some((a) => a.startsWith('sqs:')))
      .map((s) => s.Resource);
    expect(sqsResources).toEqual([{ 'Fn::GetAtt': [rejected, 'Arn'] }, { 'Fn::GetAtt': [failures, 'Arn'] }]);
  });

  it('change-events gets no action usage-events lacks, and reads nothing of the usage topic or group', () => {
    const config = statementsOf(roleOf(FUNCTIONS.changeEvents));
    const usage = actionsOf(statementsOf(roleOf(FUNCTIONS.usageEvents)));
    // Beyond usage-events' actions only the delete of a held change once its member has come.
    expect([...actionsOf(config)].filter((a) => !usage.has(a))).toEqual(['dynamodb:DeleteItem']);
    const usageArns = mskResourceArns({
      clusterArn: EXAMPLE_MSK_CLUSTER_ARN,
      topic: 'usage-events',
      consumerGroup: 'usage-settlement',
    });
    const resources = config.flatMap((s) => asArray(s.Resource));
    expect(resources).not.toContain(usageArns.topic);
    expect(resources).not.toContain(usageArns.group);
    expect(JSON.stringify(resources)).not.toContain('/index/');
  });

  it('outbox relay: stream read, conditional item updates, PutEvents on the notification bus; no ledger, no Redis secret', () => {
    const statements = statementsOf(roleOf(FUNCTIONS.outboxRelay));
    const bus = logicalId(template, 'AWS::Events::EventBus', 'MessagingBus');
    const actions = actionsOf(statements);
    expect(actions).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        ...Object.keys(WILDCARD_REASONS).filter((a) => a.startsWith('xray:')),
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
        'dynamodb:UpdateItem',
        'events:PutEvents',
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'sqs:SendMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ]),
    );
    expect(statements.find((s) => s.Sid === 'NotificationsPublish')?.Resource).toEqual({
      'Fn::GetAtt': [bus, 'Arn'],
    });
  });

  it('outbox sweeper: Query on the status index, item get/update, PutEvents on the bus; expiry of held changes', () => {
    const statements = statementsOf(roleOf(FUNCTIONS.outboxSweeper));
    const outbox = logicalId(template, 'AWS::DynamoDB::Table', 'DataOutbox');
    expect(statements.find((s) => s.Sid === 'OutboxDueItemsQuery')).toMatchObject({
      Action: 'dynamodb:Query',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [outbox, 'Arn'] }, '/index/status-nextAttemptAt']] },
    });
    const actions = actionsOf(statements);
    expect(actions.has('secretsmanager:GetSecretValue')).toBe(false);
    expect(actions.has('dynamodb:PutItem')).toBe(false);
    expect(actions.has('events:PutEvents')).toBe(true);
    // Held policy changes whose wait ran out: found on the periods index, read, deleted, dead-lettered.
    const ledger = logicalId(template, 'AWS::DynamoDB::Table', 'DataLedger');
    expect(statements.find((s) => s.Sid === 'HeldChangesExpire')).toMatchObject({
      Action: ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      Resource: [
        { 'Fn::GetAtt': [ledger, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ledger, 'Arn'] }, '/index/GSI2']] },
      ],
    });
  });

  it('grants the cache AUTH token secret to the two functions that use Redis and to nothing else', () => {
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).some((s) =>
        asArray(s.Action).some((a) => a.startsWith('secretsmanager:')),
      ),
    );
    expect(readers.map((p) => (p.Properties.Roles as { Ref: string }[])[0]!.Ref).sort()).toEqual(
      [roleOf(FUNCTIONS.usageEvents), roleOf(FUNCTIONS.changeEvents)].sort(),
    );
  });
});
