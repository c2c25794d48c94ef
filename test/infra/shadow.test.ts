import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

/** What docs/deploy.md's cutover runbook passes for the shadow run. */
const SHADOW = {
  shadow: 'true',
  stackName: 'UsageSettlementShadow',
  namePrefix: 'usage-settlement-shadow',
  mskConsumerGroup: 'usage-settlement-shadow',
  mskPolicyConsumerGroup: 'usage-settlement-shadow-policy-updated',
  mskFamilyConsumerGroup: 'usage-settlement-shadow-family-updated',
};

let shadow: Template;
let production: Template;

beforeAll(() => {
  shadow = synthesize({ context: SHADOW }).template;
  production = synthesize().template;
}, SYNTH_TIMEOUT_MS * 2);

const functionIds = (t: Template) =>
  Object.keys(t.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('Functions'));

const roleActions = (t: Template, fnPrefix: string): string[] => {
  const fn = t.findResources('AWS::Lambda::Function')[logicalId(t, 'AWS::Lambda::Function', fnPrefix)]!;
  const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
};

const mskMappings = (t: Template) =>
  Object.values(t.findResources('AWS::Lambda::EventSourceMapping')).filter(
    (m) => m.Properties.AmazonManagedKafkaEventSourceConfig !== undefined,
  );

describe('shadow stack', () => {
  it('settles usage, applies changes and archives its own fates as production does', () => {
    expect(functionIds(shadow).map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'FunctionsUsageEvents',
      'FunctionsChangeEvents',
      'FunctionsSettlementArchiver',
      'FunctionsUsageApi',
    ]);
    const topics = mskMappings(shadow).map((m) => (m.Properties.Topics as string[])[0]);
    expect(topics.sort()).toEqual(['family-updated', 'policy-updated', 'usage-events']);
  });

  it('deploys no outbox relay or sweeper, so no notification is ever published: no stream mapping, no schedule', () => {
    const outbox = (t: Template) => logicalId(t, 'AWS::DynamoDB::Table', 'DataOutbox');
    const streamMappings = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::EventSourceMapping')).filter(
        (m) =>
          m.Properties.EventSourceArn?.['Fn::GetAtt']?.[1] === 'StreamArn' &&
          m.Properties.EventSourceArn['Fn::GetAtt'][0] === outbox(t),
      );
    expect(functionIds(production)).toHaveLength(6);
    expect(streamMappings(production)).toHaveLength(1);
    production.resourceCountIs('AWS::Scheduler::Schedule', 1);
    expect(streamMappings(shadow)).toEqual([]);
    shadow.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it(
    'refuses the usage snapshots, and gives usage-events no permission to publish',
    () => {
      expect(() =>
        synthesize({ context: { ...SHADOW, usageSnapshots: 'true', mskBootstrapBrokers: 'b-1:9098' } }),
      ).toThrow(/usageSnapshots \(USAGE_SNAPSHOTS\) is refused in a shadow stack/);
      expect(functionIds(shadow).some((id) => id.startsWith('FunctionsUsageSnapshots'))).toBe(false);
      expect(roleActions(shadow, 'FunctionsUsageEvents')).not.toContain('events:PutEvents');
    },
    SYNTH_TIMEOUT_MS,
  );

  it('reads the topics as consumer groups of its own and names its dashboard and alarms apart', () => {
    const groups = mskMappings(shadow).map(
      (m) => m.Properties.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId,
    );
    expect(groups.sort()).toEqual(
      [SHADOW.mskConsumerGroup, SHADOW.mskFamilyConsumerGroup, SHADOW.mskPolicyConsumerGroup].sort(),
    );
    shadow.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'usage-settlement-shadow' });
  });

  it(
    "refuses a production stack's default names: it would turn that stack into a shadow or take its partitions",
    () => {
      expect(() => synthesize({ context: { shadow: 'true' } })).toThrow(
        /shadow=true needs names of its own.*stackName \(STACK_NAME\), namePrefix \(NAME_PREFIX\), mskConsumerGroup/,
      );
      const { mskFamilyConsumerGroup: _, ...withoutFamilyGroup } = SHADOW;
      expect(() => synthesize({ context: withoutFamilyGroup })).toThrow(
        /needs names of its own.*: set mskFamilyConsumerGroup \(MSK_FAMILY_CONSUMER_GROUP\)$/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});
