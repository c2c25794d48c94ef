import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

const ledgerProps = (t: Template) =>
  t.findResources('AWS::DynamoDB::Table')[logicalId(t, 'AWS::DynamoDB::Table', 'DataLedger')]!
    .Properties as Record<string, unknown>;

/** Scalable targets by dimension: what auto scaling moves, between which bounds, and when on a schedule. */
function targets(t: Template) {
  return Object.fromEntries(
    Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map((r) => [
      `${String(r.Properties.ScalableDimension)}${/\/index\/(\w+)/.exec(JSON.stringify(r.Properties.ResourceId))?.[1]?.replace(/^/, ' ') ?? ''}`,
      r.Properties as {
        MinCapacity: number;
        MaxCapacity: number;
        ScheduledActions?: Array<{
          Schedule: string;
          Timezone: string;
          ScalableTargetAction: { MinCapacity: number };
        }>;
      },
    ]),
  );
}

describe('ledger capacity mode', () => {
  let onDemand: Template;
  let provisioned: Template;

  beforeAll(() => {
    onDemand = synthesize().template;
    provisioned = synthesize({ context: { ledgerCapacityMode: 'provisioned' } }).template;
  }, SYNTH_TIMEOUT_MS);

  it('is on-demand by default, with no auto scaling', () => {
    expect(ledgerProps(onDemand).BillingMode).toBe('PAY_PER_REQUEST');
    onDemand.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  it('provisioned: the ledger and its period index start at the minimum, the outbox stays on-demand', () => {
    const ledger = ledgerProps(provisioned);
    expect(ledger.BillingMode).toBeUndefined();
    expect(ledger.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 1_000, WriteCapacityUnits: 30_000 });
    // Created at its capacity, a provisioned table needs no warm throughput.
    expect(ledger.WarmThroughput).toBeUndefined();
    const outbox =
      provisioned.findResources('AWS::DynamoDB::Table')[
        logicalId(provisioned, 'AWS::DynamoDB::Table', 'DataOutbox')
      ]!.Properties;
    expect(outbox.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('provisioned: writes and reads track 70% utilisation between the bounds, both indexes too', () => {
    const t = targets(provisioned);
    expect(t['dynamodb:table:WriteCapacityUnits']).toMatchObject({
      MinCapacity: 30_000,
      MaxCapacity: 60_000,
    });
    expect(t['dynamodb:table:ReadCapacityUnits']).toMatchObject({ MinCapacity: 1_000, MaxCapacity: 20_000 });
    expect(t['dynamodb:index:WriteCapacityUnits GSI2']).toMatchObject({
      MinCapacity: 100,
      MaxCapacity: 10_000,
    });
    // The member settlements index takes a write per settled event: 5,000/s to 10,000/s at 70%.
    expect(t['dynamodb:index:WriteCapacityUnits GSI3']).toMatchObject({
      MinCapacity: 7_143,
      MaxCapacity: 14_286,
    });
    expect(t['dynamodb:index:WriteCapacityUnits GSI3']?.ScheduledActions).toBeUndefined();
    const policies = Object.values(provisioned.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'));
    expect(policies).toHaveLength(6);
    for (const p of policies)
      expect(p.Properties.TargetTrackingScalingPolicyConfiguration.TargetValue).toBe(70);
  });

  it(
    'provisioned: raises reads and index writes for the first two hours of each month in the settlement zone',
    () => {
      const t = targets(provisioned);
      expect(t['dynamodb:table:ReadCapacityUnits']?.ScheduledActions).toEqual([
        expect.objectContaining({
          Schedule: 'cron(0 0 1 * ? *)',
          Timezone: 'Asia/Seoul',
          // Every family's state is loaded once: 2 reads an event at the 5,000/s the minimum writes serve.
          ScalableTargetAction: { MinCapacity: 10_000 },
        }),
        expect.objectContaining({
          Schedule: 'cron(0 2 1 * ? *)',
          ScalableTargetAction: { MinCapacity: 1_000 },
        }),
      ]);
      expect(t['dynamodb:index:WriteCapacityUnits GSI2']?.ScheduledActions).toEqual([
        expect.objectContaining({
          Schedule: 'cron(0 0 1 * ? *)',
          ScalableTargetAction: { MinCapacity: 5_000 },
        }),
        expect.objectContaining({
          Schedule: 'cron(0 2 1 * ? *)',
          ScalableTargetAction: { MinCapacity: 100 },
        }),
      ]);
      const newYork = targets(
        synthesize({ context: { ledgerCapacityMode: 'provisioned', settlementTimeZone: 'America/New_York' } })
          .template,
      );
      expect(newYork['dynamodb:table:ReadCapacityUnits']?.ScheduledActions?.[0]?.Timezone).toBe(
        'America/New_York',
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'refuses an unknown mode and bounds that cross, naming the parameters',
    () => {
      expect(() => synthesize({ context: { ledgerCapacityMode: 'reserved' } })).toThrow(
        /ledgerCapacityMode \(LEDGER_CAPACITY_MODE\)/,
      );
      expect(() =>
        synthesize({ context: { ledgerCapacityMode: 'provisioned', ledgerMinWriteUnits: '70000' } }),
      ).toThrow(
        /ledgerMinWriteUnits \(LEDGER_MIN_WRITE_UNITS\) 70000 exceeds ledgerMaxWriteUnits \(LEDGER_MAX_WRITE_UNITS\) 60000/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});
