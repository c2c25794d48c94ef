#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadAppConfig } from '../lib/config';
import { UsageSettlementStack } from '../lib/usage-settlement-stack';

const app = new App();
const config = loadAppConfig(app.node);

new UsageSettlementStack(app, config.stackName, {
  env: config.env,
  config,
  description:
    'usage-settlement: MSK -> Lambda -> Valkey Lua -> DynamoDB transaction + outbox -> EventBridge',
});

// Every synth and deploy runs the AWS Solutions rules; an unacknowledged finding stops synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
