import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE_UPDATED } from '../../functions/core/snapshots/usage-snapshot';
import { ENV } from '../../functions/runtime/env';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

const rulesMatching = (template: Template, detailType: unknown) =>
  Object.values(template.findResources('AWS::Events::Rule')).filter(
    (r) => JSON.stringify(r.Properties.EventPattern?.['detail-type']) === JSON.stringify(detailType),
  );

describe('usage snapshots on the bus', () => {
  let standard: Template;
  let withConsumer: Template;

  beforeAll(() => {
    standard = synthesize().template;
    withConsumer = synthesize({ context: { usageSnapshotConsumer: true } }).template;
  }, SYNTH_TIMEOUT_MS);

  it('keeps USAGE_UPDATED out of the notification rule and the archive', () => {
    const notMe = [{ 'anything-but': [USAGE_UPDATED] }];
    expect(rulesMatching(standard, notMe)).toHaveLength(1);
    standard.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: Match.objectLike({ 'detail-type': notMe }),
    });
  });

  it('deploys no snapshot consumer unless the context flag asks for it', () => {
    expect(rulesMatching(standard, [USAGE_UPDATED])).toHaveLength(0);
    expect(Object.keys(standard.findOutputs('UsageSnapshotQueueUrl'))).toHaveLength(0);
  });

  it('with usageSnapshotConsumer=true: a rule on USAGE_UPDATED into a queue with a dead-letter queue', () => {
    const [rule] = rulesMatching(withConsumer, [USAGE_UPDATED]);
    const queue = logicalId(withConsumer, 'AWS::SQS::Queue', 'MessagingUsageSnapshotQueue');
    expect(rule?.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [queue, 'Arn'] },
        DeadLetterConfig: {
          Arn: {
            'Fn::GetAtt': [logicalId(withConsumer, 'AWS::SQS::Queue', 'MessagingUsageSnapshotDlq'), 'Arn'],
          },
        },
      }),
    ]);
    withConsumer.hasOutput('UsageSnapshotQueueUrl', { Value: { Ref: queue } });
  });

  it('gives the usage function the bus name and source it publishes snapshots with', () => {
    standard.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Settles usage events'),
      Environment: {
        Variables: Match.objectLike({
          [ENV.eventBusName]: { Ref: logicalId(standard, 'AWS::Events::EventBus', 'MessagingBus') },
          [ENV.notificationSource]: 'usage-settlement',
        }),
      },
    });
  });
});
