import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import { LEDGER_TABLE } from '../../functions/adapters/dynamodb/table-layout';
import { decodeMskEvent } from '../../functions/core/kafka-record';
import type { Decision } from '../../functions/core/settlement/decision';
import type { CommitUnit } from '../../functions/core/settlement/ports';
import { buildRejection, buildSettlement } from '../../functions/core/settlement/records';
import { fateExpiry } from '../../functions/core/settlement/retention';
import { createTestTables, type TestTables } from '../helpers/local-aws';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { usageEvent } from '../helpers/usage-event-factory';

let tables: TestTables;

beforeAll(async () => {
  tables = await createTestTables('expiry');
});
afterAll(() => tables.client.destroy());

const kafkaRecord = (eventId: string, familyId: number, customerId: number, offset: number) => {
  const [partition] = decodeMskEvent(
    mskEvent([mskRecord(0, offset, usage(eventId, familyId, customerId, 10))]),
  );
  const record = partition?.records[0];
  if (!record) throw new Error('no record');
  return record;
};

const item = async (key: { PK: string; SK: string }) =>
  (await tables.doc.send(new GetCommand({ TableName: tables.names.ledger, Key: key, ConsistentRead: true })))
    .Item;

describe('fates expire, the family and its usage do not', () => {
  it('turns on TTL on expiresAt for the ledger', async () => {
    const { TimeToLiveDescription } = await tables.client.send(
      new DescribeTimeToLiveCommand({ TableName: tables.names.ledger }),
    );
    expect(TimeToLiveDescription).toMatchObject({
      AttributeName: LEDGER_TABLE.ttlAttribute,
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('writes expiresAt on settlement and rejection records, from their period and the retention, and on nothing else', async () => {
    const familyId = 4_242;
    const settled = usageEvent({ familyId, customerId: 1, bytesUsed: 10 });
    const stranger = usageEvent({ familyId, customerId: 99, bytesUsed: 10 });
    const decision: Decision = {
      status: 'NORMAL',
      counted: true,
      notify: false,
      bytes: 10,
      customerId: 1,
      payloadHash: settled.payloadHash,
      markers: [],
    };
    const write = buildSettlement({
      event: settled,
      record: kafkaRecord(settled.eventId, familyId, 1, 1),
      decision,
      decidedAtVersion: 0,
      globalRevision: 0,
      decidedFrom: 'redis',
      nowMs: Date.now(),
      outboxGraceMs: 0,
    });
    const rejection = buildRejection({
      event: stranger,
      record: kafkaRecord(stranger.eventId, familyId, 99, 2),
      decidedAtVersion: 0,
      nowMs: Date.now(),
    });
    const unit: CommitUnit = {
      familyId,
      periods: [
        {
          period: settled.period,
          versionBefore: 0,
          quotaBytes: 1_000,
          incarnation: 'i',
          stampMs: 1,
          globalRevision: 0,
          writes: [write],
          rejections: [rejection],
        },
      ],
    };
    const ledger = new DynamoLedger(tables.doc, tables.names, {
      retry: { maxAttempts: 3, baseDelayMs: 1 },
      concurrency: 1,
      fateRetentionDays: 40,
    });

    expect((await ledger.commit([unit])).outcomes.get(unit)).toEqual({ kind: 'committed' });

    const expected = fateExpiry(settled.period, 40);
    expect((await item(ledgerKeys.settlement(settled.eventId)))?.expiresAt).toBe(expected);
    expect((await item(ledgerKeys.settlement(stranger.eventId)))?.expiresAt).toBe(expected);
    const periodItem = await item(ledgerKeys.familyPeriod(familyId, settled.period));
    expect(periodItem?.ver).toBe(1);
    expect(periodItem).not.toHaveProperty(LEDGER_TABLE.ttlAttribute);
  });
});
