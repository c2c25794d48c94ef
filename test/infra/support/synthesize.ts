import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type AppConfig, loadAppConfig } from '../../../lib/config';
import { REPO_ROOT } from '../../../lib/constructs/bundling';
import { UsageSettlementStack } from '../../../lib/usage-settlement-stack';

/** What npm run synth passes too: the example MSK cluster is accepted for a synthesis that is not a deploy. */
export const OFFLINE_CONTEXT = { allowPlaceholderCluster: true } as const;

/** The feature flags and other context of cdk.json, which the CDK CLI passes to every synth and deploy. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Synthesis with real esbuild bundling takes seconds; every infra test gets this much room. */
export const SYNTH_TIMEOUT_MS = 120_000;

export interface Synthesized {
  readonly app: App;
  readonly stack: UsageSettlementStack;
  readonly template: Template;
  readonly config: AppConfig;
}

/**
 * One app and stack as bin/app.ts builds them, with cdk.json's context as the CLI gives it. Bundling is skipped unless
 * asked for (it is the slow part and only the bundling test needs real
 * assets). The environment is empty so a developer's AWS variables cannot
 * change what the tests see.
 */
export function synthesize(
  options: { bundle?: boolean; context?: Record<string, unknown>; env?: Record<string, string> } = {},
): Synthesized {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      ...(options.bundle ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] }),
      ...OFFLINE_CONTEXT,
      ...options.context,
    },
  });
  const config = loadAppConfig(app.node, options.env ?? {});
  const stack = new UsageSettlementStack(app, 'UsageSettlementTest', { env: config.env, config });
  return { app, stack, template: Template.fromStack(stack), config };
}

/** The committed lookup results (cdk.context.json), as the CDK CLI would pass them. */
export function committedContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.context.json'), 'utf8')) as Record<string, unknown>;
}

/** The documented example of an existing VPC, matching the committed cdk.context.json entry. */
export const EXAMPLE_EXISTING_VPC = {
  account: '123456789012',
  region: 'ap-northeast-2',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
} as const;

/** Logical id of the single resource of `type` whose id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ')}`);
  return ids[0]!;
}
