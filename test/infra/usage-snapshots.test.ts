import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../functions/runtime/env';
import { mskResourceArns } from '../../lib/config';
import { EXAMPLE_MSK_CLUSTER_ARN } from '../../lib/parameters';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

const ON = { usageSnapshots: 'true', mskBootstrapBrokers: 'b-1.example:9098,b-2.example:9098' };

const snapshotFunctions = (t: Template) =>
  Object.keys(t.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith('FunctionsUsageSnapshots'),
  );

describe('live usage snapshots', () => {
  let off: Template;
  let on: Template;

  beforeAll(() => {
    off = synthesize().template;
    on = synthesize({ context: ON }).template;
  }, SYNTH_TIMEOUT_MS);

  it('are off by default: no function, no stream mapping, nothing published by settlement', () => {
    expect(snapshotFunctions(off)).toEqual([]);
    const ledger = logicalId(off, 'AWS::DynamoDB::Table', 'DataLedger');
    const ledgerMappings = Object.values(off.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => m.Properties.EventSourceArn?.['Fn::GetAtt']?.[0] === ledger,
    );
    // The archiver's only.
    expect(ledgerMappings).toHaveLength(1);
    off.resourceCountIs('AWS::Events::Rule', 1);
  });

  it('when on: a function on the ledger stream, fed the period items only, from now on, best effort', () => {
    const [fn] = snapshotFunctions(on);
    const ledger = logicalId(on, 'AWS::DynamoDB::Table', 'DataLedger');
    const mapping = Object.values(on.findResources('AWS::Lambda::EventSourceMapping')).find(
      (m) => m.Properties.FunctionName?.Ref === fn,
    )!.Properties;
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [ledger, 'StreamArn'] },
      StartingPosition: 'LATEST',
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 300,
    });
    expect(
      (mapping.FilterCriteria.Filters as { Pattern: string }[]).map((f) => JSON.parse(f.Pattern)),
    ).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { SK: { S: [{ prefix: 'PERIOD#' }] } } } },
    ]);
  });

  it('when on: produces to its topic on the cluster with IAM auth, and may do nothing else there', () => {
    const [fn] = snapshotFunctions(on);
    const props = on.findResources('AWS::Lambda::Function')[fn!]!.Properties;
    expect(props.Environment.Variables).toMatchObject({
      [ENV.usageSnapshots]: 'true',
      [ENV.usageSnapshotTopic]: 'usage-realtime',
      [ENV.kafkaBootstrapBrokers]: ON.mskBootstrapBrokers,
      [ENV.kafkaIamAuth]: 'true',
    });
    const role = props.Role['Fn::GetAtt'][0];
    const statements = Object.values(on.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]);
    const kafka = statements.filter((s) => JSON.stringify(s.Action).includes('kafka-cluster:'));
    const arns = mskResourceArns({
      clusterArn: EXAMPLE_MSK_CLUSTER_ARN,
      topic: 'usage-realtime',
      consumerGroup: '-',
    });
    expect(kafka).toEqual([
      expect.objectContaining({ Action: 'kafka-cluster:Connect', Resource: arns.cluster }),
      expect.objectContaining({
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        Resource: arns.topic,
      }),
    ]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(
      actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite|Query|Scan)/.test(String(a))),
    ).toEqual([]);
    // The brokers' IAM listener, besides HTTPS.
    const sg = props.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const egress = on.findResources('AWS::EC2::SecurityGroup')[sg]!.Properties.SecurityGroupEgress as {
      FromPort: number;
    }[];
    expect(egress.map((e) => e.FromPort).sort()).toEqual([443, 9098]);
  });

  it(
    'refuse to turn on without the brokers to produce to, or onto the usage topic itself',
    () => {
      expect(() => synthesize({ context: { usageSnapshots: 'true' } })).toThrow(
        /usageSnapshots \(USAGE_SNAPSHOTS\) needs mskBootstrapBrokers \(MSK_BOOTSTRAP_BROKERS\)/,
      );
      expect(() => synthesize({ context: { ...ON, usageSnapshotTopic: 'usage-events' } })).toThrow(
        /the snapshots need a topic of their own/,
      );
      expect(() => synthesize({ context: { ...ON, mskBootstrapBrokers: 'b-1.example' } })).toThrow(
        /mskBootstrapBrokers \(MSK_BOOTSTRAP_BROKERS\): the cluster's IAM bootstrap brokers/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});
