import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinitions } from '../../functions/adapters/dynamodb/table-definitions';
import { OUTBOX_TABLE } from '../../functions/adapters/dynamodb/table-layout';
import { ENV } from '../../functions/shared/env';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

let template: Template;

beforeAll(() => {
  template = synthesize().template;
}, SYNTH_TIMEOUT_MS);

const tableProps = (prefix: string) =>
  template.findResources('AWS::DynamoDB::Table')[logicalId(template, 'AWS::DynamoDB::Table', prefix)]!
    .Properties as Record<string, unknown>;

describe('DynamoDB tables', () => {
  it.each([
    ['ledger', 'DataLedger', 'usage-settlement-ledger'],
    ['outbox', 'DataOutbox', 'usage-settlement-outbox'],
  ])('%s: on-demand, point-in-time recovery, KMS encryption, deletion protection', (_name, prefix, name) => {
    expect(tableProps(prefix)).toMatchObject({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // SSEEnabled without a key id: the AWS managed KMS key (aws/dynamodb) instead of the AWS owned default.
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect((tableProps(prefix).SSESpecification as Record<string, unknown>).KMSMasterKeyId).toBeUndefined();
  });

  it('outbox: NEW_AND_OLD_IMAGES stream, TTL on expiresAt, status-nextAttemptAt index (S, N)', () => {
    expect(tableProps('DataOutbox')).toMatchObject({
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: OUTBOX_TABLE.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'status-nextAttemptAt',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'nextAttemptAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('has the same keys, attribute types and indexes as the local table definitions the adapters are tested on', () => {
    const local = tableDefinitions({ ledger: 'usage-settlement-ledger', outbox: 'usage-settlement-outbox' });
    for (const [prefix, definition] of [
      ['DataLedger', local[0]!],
      ['DataOutbox', local[1]!],
    ] as const) {
      const deployed = tableProps(prefix);
      const sortByName = <T extends { AttributeName?: string }>(xs: readonly T[] | undefined) =>
        [...(xs ?? [])].sort((a, b) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? ''));
      expect(deployed.TableName).toBe(definition.TableName);
      expect(deployed.KeySchema).toEqual(definition.KeySchema);
      expect(sortByName(deployed.AttributeDefinitions as { AttributeName: string }[])).toEqual(
        sortByName(definition.AttributeDefinitions),
      );
      expect(
        (
          deployed.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[]
        ).map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
      ).toEqual(definition.GlobalSecondaryIndexes);
      expect(deployed.StreamSpecification ? 'NEW_AND_OLD_IMAGES' : undefined).toBe(
        definition.StreamSpecification?.StreamViewType,
      );
    }
  });
});

describe('Valkey cache', () => {
  it('is a cluster-mode Valkey replication group, Multi-AZ, encrypted in transit (required) and at rest', () => {
    const subnetGroup = logicalId(template, 'AWS::ElastiCache::SubnetGroup', 'CacheSubnetGroup');
    const parameters = logicalId(template, 'AWS::ElastiCache::ParameterGroup', 'CacheParameters');
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      ClusterMode: 'enabled',
      CacheParameterGroupName: { Ref: parameters },
      NumNodeGroups: 2,
      ReplicasPerNodeGroup: 1,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      CacheSubnetGroupName: { Ref: subnetGroup },
    });
  });

  it('uses a parameter group of its own that never evicts: cluster mode on, noeviction, the family of the engine version', () => {
    template.resourceCountIs('AWS::ElastiCache::ParameterGroup', 1);
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      CacheParameterGroupFamily: 'valkey8',
      Properties: { 'cluster-enabled': 'yes', 'maxmemory-policy': 'noeviction' },
    });
  });

  it(
    'takes the parameter group family from the engine version',
    () => {
      const valkey7 = synthesize({ context: { cacheEngineVersion: '7.2' } }).template;
      valkey7.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
        CacheParameterGroupFamily: 'valkey7',
      });
      valkey7.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { EngineVersion: '7.2' });
    },
    SYNTH_TIMEOUT_MS,
  );

  it('gets a generated replication group id: no fixed name to collide with a cache still being deleted', () => {
    const [rg] = Object.values(template.findResources('AWS::ElastiCache::ReplicationGroup'));
    expect(rg!.Properties.ReplicationGroupId).toBeUndefined();
  });

  it('authenticates with an AUTH token resolved from Secrets Manager at deploy time, never a literal', () => {
    const secret = logicalId(template, 'AWS::SecretsManager::Secret', 'CacheAuthToken');
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AuthToken: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secret }, ':SecretString:::}}']] },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
  });

  it('accepts connections on its port only from the usage-events function security group', () => {
    const cacheSg = logicalId(template, 'AWS::EC2::SecurityGroup', 'CacheSg');
    const usageEventsSg = logicalId(template, 'AWS::EC2::SecurityGroup', 'NetworkUsageEventsSg');
    const sg = template.findResources('AWS::EC2::SecurityGroup')[cacheSg]!;
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => (r.Properties.GroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] === cacheSg,
    );
    expect(ingress.map((r) => r.Properties)).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [cacheSg, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [usageEventsSg, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 6379,
        ToPort: 6379,
        Description: 'Valkey from usage-events',
      },
    ]);
  });

  it(
    'also accepts the cache port from an operator security group when one is given, and from nothing else',
    () => {
      const withOperators = synthesize({
        context: { cacheOperatorSecurityGroupId: 'sg-0123456789abcdef0' },
      }).template;
      const cacheSg = logicalId(withOperators, 'AWS::EC2::SecurityGroup', 'CacheSg');
      const ingress = Object.values(withOperators.findResources('AWS::EC2::SecurityGroupIngress'))
        .map((r) => r.Properties)
        .filter((p) => (p.GroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] === cacheSg);
      expect(ingress).toHaveLength(2);
      expect(ingress).toContainEqual({
        GroupId: { 'Fn::GetAtt': [cacheSg, 'GroupId'] },
        SourceSecurityGroupId: 'sg-0123456789abcdef0',
        IpProtocol: 'tcp',
        FromPort: 6379,
        ToPort: 6379,
        Description: 'Valkey from operator hosts',
      });
    },
    SYNTH_TIMEOUT_MS,
  );

  it('gives usage-events the TLS cluster URL, cluster flag and secret ARN through the shared ENV names', () => {
    const rg = logicalId(template, 'AWS::ElastiCache::ReplicationGroup', 'CacheValkey');
    const secret = logicalId(template, 'AWS::SecretsManager::Secret', 'CacheAuthToken');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.redisUrl]: {
            'Fn::Join': [
              '',
              [
                'rediss://',
                { 'Fn::GetAtt': [rg, 'ConfigurationEndPoint.Address'] },
                ':',
                { 'Fn::GetAtt': [rg, 'ConfigurationEndPoint.Port'] },
              ],
            ],
          },
          [ENV.redisCluster]: 'true',
          [ENV.redisAuthSecretArn]: { Ref: secret },
        }),
      },
    });
  });
});

describe('functions', () => {
  it.each([['FunctionsUsageEvents'], ['FunctionsOutboxRelay'], ['FunctionsOutboxSweeper']])(
    '%s: arm64, Node.js 24, X-Ray active, own log group, in the VPC, only ENV variable names',
    (prefix) => {
      const fn = template.findResources('AWS::Lambda::Function')[
        logicalId(template, 'AWS::Lambda::Function', prefix)
      ]!.Properties as Record<string, unknown>;
      expect(fn).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(new RegExp(`^${prefix}Logs`)) } },
        VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: expect.any(Array) },
      });
      expect(fn.ReservedConcurrentExecutions).toBeGreaterThan(0);
      const names = Object.keys((fn.Environment as { Variables: Record<string, unknown> }).Variables);
      const shared = new Set<string>(Object.values(ENV));
      expect(names.filter((n) => !shared.has(n) && n !== 'NODE_OPTIONS')).toEqual([]);
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS).toBe(
        '--enable-source-maps',
      );
    },
  );

  it(
    'wires an emulator (LocalStack) only when asked: one service endpoint, a plain Redis URL, no AUTH secret',
    () => {
      const local = synthesize({
        context: {
          serviceEndpoint: 'http://localhost.localstack.cloud:4566',
          redisUrl: 'redis://redis:6379',
        },
      }).template;
      const usageEvents = local.findResources('AWS::Lambda::Function')[
        logicalId(local, 'AWS::Lambda::Function', 'FunctionsUsageEvents')
      ]!.Properties.Environment.Variables as Record<string, unknown>;
      expect(usageEvents).toMatchObject({
        [ENV.dynamodbEndpoint]: 'http://localhost.localstack.cloud:4566',
        [ENV.sqsEndpoint]: 'http://localhost.localstack.cloud:4566',
        [ENV.eventBridgeEndpoint]: 'http://localhost.localstack.cloud:4566',
        [ENV.redisUrl]: 'redis://redis:6379',
        [ENV.redisCluster]: 'false',
      });
      expect(usageEvents[ENV.redisAuthSecretArn]).toBeUndefined();
      const deployed = template.findResources('AWS::Lambda::Function');
      for (const fn of Object.values(deployed)) {
        expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain(ENV.dynamodbEndpoint);
      }
    },
    SYNTH_TIMEOUT_MS,
  );

  it('keeps function logs for the configured retention', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(3);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });
});
