import { App, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { loadAppConfig } from '../../lib/config';
import { UsageSettlementStack } from '../../lib/usage-settlement-stack';
import {
  cdkJsonContext,
  committedContext,
  EXAMPLE_EXISTING_VPC,
  OFFLINE_CONTEXT,
  SYNTH_TIMEOUT_MS,
  type Synthesized,
  synthesize,
} from './support/synthesize';

const findings = (synth: Synthesized) =>
  new AwsSolutionsChecks().validateScope(synth.stack).violations.map((v) => ({
    rule: v.ruleName,
    resources: v.violatingResources.map((r) => r.constructPath),
  }));

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it(
    'leaves no unacknowledged finding on the default stack (new VPC)',
    () => {
      expect(findings(synthesize())).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'leaves no unacknowledged finding on the existing-VPC variant (committed lookup context)',
    () => {
      const synth = synthesize({ context: { ...committedContext(), ...EXAMPLE_EXISTING_VPC } });
      expect(findings(synth)).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'gives every acknowledgement a reason (ours and the ones aws-cdk-lib records itself)',
    () => {
      const acks = acknowledgements(synthesize().app);
      expect(acks.filter((a) => a.id.includes('AwsSolutions-')).length).toBeGreaterThan(0);
      for (const ack of acks) {
        expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
      }
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'runs as a synthesis plugin the way bin/app.ts registers it, and synthesis succeeds',
    () => {
      const app = new App({
        context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...OFFLINE_CONTEXT },
      });
      const config = loadAppConfig(app.node, {});
      new UsageSettlementStack(app, config.stackName, { env: config.env, config });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'is a real gate: one unacknowledged finding stops synthesis',
    () => {
      const app = new App({
        context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...OFFLINE_CONTEXT },
      });
      const config = loadAppConfig(app.node, {});
      const stack = new UsageSettlementStack(app, config.stackName, { env: config.env, config });
      new Queue(stack, 'QueueWithoutSslOrDlq');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
    },
    SYNTH_TIMEOUT_MS,
  );
});
