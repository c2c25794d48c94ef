import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/bundling';
import { cdkJsonContext, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

/** What `cdk init` writes for the installed aws-cdk-lib. */
const recommendedFlags = JSON.parse(
  readFileSync(join(REPO_ROOT, 'node_modules/aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
) as Record<string, unknown>;

describe('feature flags', () => {
  it('cdk.json sets every flag the installed aws-cdk-lib recommends, at its recommended value', () => {
    const context = cdkJsonContext();
    for (const [flag, value] of Object.entries(recommendedFlags)) {
      expect(context[flag], flag).toEqual(value);
    }
  });
});

let template: Template;
beforeAll(() => {
  template = synthesize().template;
}, SYNTH_TIMEOUT_MS);

describe('the new VPC', () => {
  it('strips the default security group of its rules (restrictDefaultSecurityGroup)', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });
});

describe('Valkey', () => {
  it(
    'runs on a non-burstable node type by default: a t-class node runs out of CPU credits under steady load',
    () => {
      const { template } = synthesize();
      template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        CacheNodeType: 'cache.m7g.large',
      });
    },
    SYNTH_TIMEOUT_MS,
  );
});
