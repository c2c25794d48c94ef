#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type AppConfig, AppConfigError, loadAppConfig } from '../lib/config';
import { UsageSettlementStack } from '../lib/usage-settlement-stack';

const app = new App();
let config: AppConfig;
try {
  config = loadAppConfig(app.node);
} catch (error) {
  // A parameter problem is the operator's to fix: the message says which and how, a stack trace adds nothing.
  if (!(error instanceof AppConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

new UsageSettlementStack(app, config.stackName, {
  env: config.env,
  config,
  description:
    'usage-settlement: MSK -> Lambda -> Valkey Lua -> DynamoDB transaction + outbox -> EventBridge',
});

// Every synth and deploy runs the AWS Solutions rules; an unacknowledged finding stops synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
