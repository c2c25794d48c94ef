import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AppConfigError, loadAppConfig, mskResourceArns } from '../../lib/config';
import { EXAMPLE_MSK_CLUSTER_ARN } from '../../lib/parameters';
import {
  committedContext,
  EXAMPLE_EXISTING_VPC,
  OFFLINE_CONTEXT,
  SYNTH_TIMEOUT_MS,
  synthesize,
} from './support/synthesize';

const load = (context: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
  loadAppConfig(new App({ context: { ...OFFLINE_CONTEXT, ...context } }).node, env);

const REAL_CLUSTER =
  'arn:aws:kafka:ap-northeast-2:111122223333:cluster/prod/abcd1234-ab12-cd34-ef56-abcdef123456-2';
const loadForDeploy = (context: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
  loadAppConfig(new App({ context }).node, env);
/** The least a real deploy must say. */
const DEPLOY = {
  mskClusterArn: REAL_CLUSTER,
  mskClusterSqsEndpoint: 'existing',
  unreservedAccountConcurrency: '1000',
} as const;

describe('deployment parameters', () => {
  it('has defaults that synthesize offline: env-agnostic, example MSK cluster, new VPC', () => {
    const config = load();
    expect(config.env).toBeUndefined();
    expect(config.msk.clusterArn).toBe(EXAMPLE_MSK_CLUSTER_ARN);
    expect(config.msk).toMatchObject({
      topic: 'usage-events',
      consumerGroup: 'usage-settlement',
      batchSize: 500,
    });
    expect(config.network.vpcId).toBeUndefined();
    expect(config.retainData).toBe(true);
  });

  it('reads policy and family events from topics and consumer groups of their own, each a parameter', () => {
    expect(load().msk.changeTopics).toEqual({
      policy: { topic: 'policy-updated', consumerGroup: 'usage-settlement-policy-updated' },
      family: { topic: 'family-updated', consumerGroup: 'usage-settlement-family-updated' },
    });
    expect(
      load(
        { mskPolicyTopic: 'policies', mskFamilyConsumerGroup: 'families-v2' },
        { MSK_FAMILY_TOPIC: 'families', MSK_POLICY_CONSUMER_GROUP: 'policies-v2' },
      ).msk.changeTopics,
    ).toEqual({
      policy: { topic: 'policies', consumerGroup: 'policies-v2' },
      family: { topic: 'families', consumerGroup: 'families-v2' },
    });
  });

  it('refuses a topic or consumer group that two mappings would share, naming both parameters', () => {
    expect(() => load({ mskPolicyTopic: 'usage-events' })).toThrow(
      /mskTopic \(MSK_TOPIC\) and mskPolicyTopic \(MSK_POLICY_TOPIC\) are both "usage-events"/,
    );
    expect(() => load({ mskFamilyTopic: 'policy-updated' })).toThrow(/mskPolicyTopic .* and mskFamilyTopic/);
    expect(() => load({}, { MSK_FAMILY_CONSUMER_GROUP: 'usage-settlement' })).toThrow(
      /mskConsumerGroup \(MSK_CONSUMER_GROUP\) and mskFamilyConsumerGroup \(MSK_FAMILY_CONSUMER_GROUP\)/,
    );
    expect(() =>
      load({ mskPolicyConsumerGroup: 'change-events', mskFamilyConsumerGroup: 'change-events' }),
    ).toThrow(/needs a consumer group of its own/);
  });

  it('reads context first, then the environment variable', () => {
    expect(load({}, { MSK_TOPIC: 'from-env' }).msk.topic).toBe('from-env');
    expect(load({ mskTopic: 'from-context' }, { MSK_TOPIC: 'from-env' }).msk.topic).toBe('from-context');
    expect(load({ mskBatchSize: '100' }).msk.batchSize).toBe(100);
    expect(load({ mskProvisionedPollers: 'false' }).msk.provisionedPollers).toBe(false);
    expect(load({}, { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'eu-west-1' }).env).toEqual({
      account: '111122223333',
      region: 'eu-west-1',
    });
  });

  it('rejects bad values with the context key and the variable name', () => {
    expect(() => load({ mskClusterArn: 'not-an-arn' })).toThrow(/mskClusterArn \(MSK_CLUSTER_ARN\)/);
    expect(() => load({ logRetentionDays: '31' })).toThrow(/logRetentionDays \(LOG_RETENTION_DAYS\)/);
    // MSK publishes no consumer-lag metrics for a group with a colon: the lag alarm would never fire.
    expect(() => load({ mskConsumerGroup: 'usage:settlement' })).toThrow(
      /mskConsumerGroup \(MSK_CONSUMER_GROUP\)/,
    );
    expect(() => load({ mskPolicyConsumerGroup: 'policy:updated' })).toThrow(
      /mskPolicyConsumerGroup \(MSK_POLICY_CONSUMER_GROUP\)/,
    );
    // Kafka refuses other characters in a topic name; the name also goes into an IAM ARN.
    expect(() => load({}, { MSK_FAMILY_TOPIC: 'family/updated' })).toThrow(
      /mskFamilyTopic \(MSK_FAMILY_TOPIC\)/,
    );
    expect(() => load({ mskTopic: 'usage events' })).toThrow(/mskTopic \(MSK_TOPIC\)/);
    expect(() => load({ changeEventsReservedConcurrency: '-1' })).toThrow(
      /changeEventsReservedConcurrency \(CHANGE_EVENTS_RESERVED_CONCURRENCY\)/,
    );
    expect(() => load({ changeOffsetLagAlarmThreshold: '0' })).toThrow(
      /changeOffsetLagAlarmThreshold \(CHANGE_OFFSET_LAG_ALARM_THRESHOLD\)/,
    );
  });

  it('refuses a VPC lookup without a concrete account and region', () => {
    expect(() => load({ vpcId: EXAMPLE_EXISTING_VPC.vpcId })).toThrow(/needs a concrete account and region/);
  });

  it('derives topic and consumer-group ARNs from the cluster ARN for MSK IAM access control', () => {
    expect(
      mskResourceArns({
        clusterArn: 'arn:aws:kafka:us-east-1:111122223333:cluster/prod/abcd-1',
        topic: 't',
        consumerGroup: 'g',
      }),
    ).toEqual({
      cluster: 'arn:aws:kafka:us-east-1:111122223333:cluster/prod/abcd-1',
      topic: 'arn:aws:kafka:us-east-1:111122223333:topic/prod/abcd-1/t',
      group: 'arn:aws:kafka:us-east-1:111122223333:group/prod/abcd-1/g',
    });
  });
});

describe('Kafka mappings', () => {
  it('start the usage mapping at LATEST unless told otherwise; AT_TIMESTAMP takes an instant with a zone', () => {
    expect(load().msk.startingPosition).toEqual({ position: 'LATEST' });
    expect(load({ mskStartingPosition: 'TRIM_HORIZON' }).msk.startingPosition).toEqual({
      position: 'TRIM_HORIZON',
    });
    expect(
      load({ mskStartingPosition: 'AT_TIMESTAMP', mskStartingTimestamp: '2027-03-01T00:00:00+09:00' }).msk
        .startingPosition,
    ).toEqual({ position: 'AT_TIMESTAMP', timestampSeconds: Date.UTC(2027, 1, 28, 15) / 1000 });
    expect(() => load({ mskStartingPosition: 'AT_TIMESTAMP' })).toThrow(
      /AT_TIMESTAMP needs mskStartingTimestamp \(MSK_STARTING_TIMESTAMP\)/,
    );
    // Read in the synthesizing machine's zone, a zoneless time would move with it.
    expect(() =>
      load({ mskStartingPosition: 'AT_TIMESTAMP', mskStartingTimestamp: '2027-03-01T00:00:00' }),
    ).toThrow(/mskStartingTimestamp \(MSK_STARTING_TIMESTAMP\): an ISO-8601 instant with Z or an offset/);
    expect(() =>
      load({ mskStartingPosition: 'AT_TIMESTAMP', mskStartingTimestamp: '2027-02-30T25:00:00Z' }),
    ).toThrow(/mskStartingTimestamp \(MSK_STARTING_TIMESTAMP\): not a valid date and time/);
    expect(() => load({ mskStartingTimestamp: '2027-03-01T00:00:00Z' })).toThrow(
      /only read with mskStartingPosition=AT_TIMESTAMP, not LATEST/,
    );
    expect(() => load({ mskStartingPosition: 'EARLIEST' })).toThrow(
      /mskStartingPosition \(MSK_STARTING_POSITION\)/,
    );
  });

  it('give the usage mapping one poller per 5 partitions, or the override when it can run them all', () => {
    expect(load().msk).toMatchObject({ partitions: 40, pollers: 8, changePollers: 1 });
    expect(load({ mskPartitions: '41', usageEventsReservedConcurrency: '41' }).msk.pollers).toBe(9);
    expect(load({ mskPartitions: '3' }).msk.pollers).toBe(1);
    expect(load({ mskPollers: '12' }).msk.pollers).toBe(12);
    expect(() => load({ mskPollers: '7' })).toThrow(
      /mskPollers \(MSK_POLLERS\) 7 cannot run 40 partitions at once: .* at least 8 are needed/,
    );
    expect(() => load({ mskPartitions: '4', mskPollers: '5' })).toThrow(/exceeds mskPartitions 4/);
  });

  it('refuse a usage-events reservation below the partition count, and accept none', () => {
    expect(() => load({ mskPartitions: '48' })).toThrow(
      /usageEventsReservedConcurrency \(USAGE_EVENTS_RESERVED_CONCURRENCY\) 40 is below mskPartitions \(MSK_PARTITIONS\) 48/,
    );
    expect(load({ mskPartitions: '48', usageEventsReservedConcurrency: '48' }).msk.partitions).toBe(48);
    expect(load({ mskPartitions: '48', usageEventsReservedConcurrency: '0' }).msk.partitions).toBe(48);
  });

  it('put the two change mappings in one poller group named after the stack', () => {
    expect(load({ namePrefix: 'shadow-settlement' }).msk.changePollerGroup).toBe(
      'shadow-settlement-change-events',
    );
  });
});

describe('deploy guards', () => {
  it('refuses the example MSK cluster unless the synthesis says it is offline', () => {
    expect(() => loadForDeploy()).toThrow(AppConfigError);
    expect(() => loadForDeploy()).toThrow(
      /mskClusterArn \(MSK_CLUSTER_ARN\) is still the example placeholder/,
    );
    expect(() => loadForDeploy()).toThrow(/allowPlaceholderCluster=true/);
    expect(loadForDeploy({ allowPlaceholderCluster: 'true' }).msk.clusterArn).toBe(EXAMPLE_MSK_CLUSTER_ARN);
    expect(loadForDeploy({}, { ALLOW_PLACEHOLDER_CLUSTER: 'true' }).msk.clusterArn).toBe(
      EXAMPLE_MSK_CLUSTER_ARN,
    );
    expect(loadForDeploy(DEPLOY).msk.clusterArn).toBe(REAL_CLUSTER);
  });

  it("makes a deploy give the account's unreserved concurrency instead of assuming one", () => {
    const { unreservedAccountConcurrency: _, ...withoutIt } = DEPLOY;
    expect(() => loadForDeploy(withoutIt)).toThrow(
      /unreservedAccountConcurrency \(UNRESERVED_ACCOUNT_CONCURRENCY\) is required to deploy/,
    );
    expect(
      loadForDeploy(withoutIt, { UNRESERVED_ACCOUNT_CONCURRENCY: '400' }).functions
        .unreservedAccountConcurrency,
    ).toBe(400);
    // An offline synth with the placeholder cluster checks against the default regional quota.
    expect(load().functions.unreservedAccountConcurrency).toBe(1000);
    expect(() => load({ unreservedAccountConcurrency: '9' })).toThrow(/unreservedAccountConcurrency/);
  });

  it('needs 100 unreserved executions beyond the 56 the functions reserve by default', () => {
    const deploy = DEPLOY;
    expect(() => loadForDeploy({ ...deploy, unreservedAccountConcurrency: '155' })).toThrow(
      /reserve 56 concurrent executions.*leaves only 55 to reserve.*at least 156/,
    );
    expect(() => loadForDeploy({ ...deploy, unreservedAccountConcurrency: '155' })).toThrow(
      /changeEventsReservedConcurrency/,
    );
    expect(loadForDeploy({ ...deploy, unreservedAccountConcurrency: '156' }).functions).toMatchObject({
      usageEventsReservedConcurrency: 40,
      changeEventsReservedConcurrency: 10,
      relayReservedConcurrency: 5,
      sweeperReservedConcurrency: 1,
    });
    // change-events counts like the others: its reservation alone can break the budget.
    expect(() =>
      loadForDeploy({
        ...deploy,
        unreservedAccountConcurrency: '156',
        changeEventsReservedConcurrency: '11',
      }),
    ).toThrow(/reserve 57 concurrent executions/);
    // A new account's quota of 10 works without any reservation.
    const none = {
      ...deploy,
      unreservedAccountConcurrency: '10',
      usageEventsReservedConcurrency: '0',
      changeEventsReservedConcurrency: '0',
      relayReservedConcurrency: '0',
      sweeperReservedConcurrency: '0',
    };
    expect(loadForDeploy(none).functions.usageEventsReservedConcurrency).toBe(0);
    expect(() => loadForDeploy({ ...none, sweeperReservedConcurrency: '1' })).toThrow(
      /leaves only 0 to reserve/,
    );
    expect(() => loadForDeploy({ ...none, changeEventsReservedConcurrency: '1' })).toThrow(
      /leaves only 0 to reserve/,
    );
  });

  it("makes a deploy say where the SQS endpoint of the MSK cluster's VPC comes from", () => {
    expect(() => loadForDeploy({ mskClusterArn: REAL_CLUSTER })).toThrow(
      /mskClusterSqsEndpoint \(MSK_CLUSTER_SQS_ENDPOINT\) is required to deploy/,
    );
    expect(loadForDeploy(DEPLOY).msk.failureDestinationEndpoint).toBe('existing');
    // "stack" is only true when the stack deploys into the cluster's VPC and creates its endpoints.
    expect(() => load({ mskClusterSqsEndpoint: 'stack' })).toThrow(/needs vpcId/);
    expect(() =>
      load({ ...EXAMPLE_EXISTING_VPC, mskClusterSqsEndpoint: 'stack', createVpcEndpoints: 'false' }),
    ).toThrow(/createVpcEndpoints=true/);
    expect(
      load({ ...EXAMPLE_EXISTING_VPC, mskClusterSqsEndpoint: 'stack' }).msk.failureDestinationEndpoint,
    ).toBe('stack');
    expect(() => load({ mskClusterSqsEndpoint: 'nat' })).toThrow(/mskClusterSqsEndpoint/);
  });

  it('accepts an operator security group for the cache only as a security group id', () => {
    expect(load({ cacheOperatorSecurityGroupId: 'sg-0123456789abcdef0' }).cache.operatorSecurityGroupId).toBe(
      'sg-0123456789abcdef0',
    );
    expect(load().cache.operatorSecurityGroupId).toBeUndefined();
    expect(() => load({ cacheOperatorSecurityGroupId: 'bastion' })).toThrow(
      /cacheOperatorSecurityGroupId \(CACHE_OPERATOR_SECURITY_GROUP_ID\)/,
    );
  });
});

describe('existing VPC', () => {
  it(
    'synthesizes offline from the committed cdk.context.json and places functions and cache in its private subnets',
    () => {
      const synth = synthesize({ context: { ...committedContext(), ...EXAMPLE_EXISTING_VPC } });
      expect(synth.app.synth().manifest.missing).toBeUndefined();
      synth.template.resourceCountIs('AWS::EC2::VPC', 0);
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        VpcConfig: { SubnetIds: ['subnet-0a11111111111111a', 'subnet-0c11111111111111c'] },
      });
      synth.template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
        SubnetIds: ['subnet-0a11111111111111a', 'subnet-0c11111111111111c'],
      });
      synth.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupIngress: [{ CidrIp: '10.0.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
      });
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'creates a NAT-less VPC with flow logs and the endpoints when none is given',
    () => {
      const { template } = synthesize();
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.resourceCountIs('AWS::EC2::InternetGateway', 0);
      template.resourceCountIs('AWS::EC2::FlowLog', 1);
      const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
        JSON.stringify(e.Properties.ServiceName),
      );
      for (const service of ['dynamodb', 'sqs', 'events', 'secretsmanager', 'xray', 'sts', 'lambda']) {
        expect(
          services.some((s) => s.includes(`.${service}`)),
          service,
        ).toBe(true);
      }
    },
    SYNTH_TIMEOUT_MS,
  );
});
