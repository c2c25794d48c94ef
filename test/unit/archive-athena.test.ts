import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaSettlementArchive } from '../../cli/archive-athena-source';

const names = { database: 'usage_archive', table: 'settlements', workGroup: 'UsageSettlement-archive' };
const row = (...values: string[]) => ({ Data: values.map((VarCharValue) => ({ VarCharValue })) });
const HEADER = row(
  'eventid',
  'customerid',
  'eventtime',
  'bytesused',
  'appid',
  'decision',
  'counted',
  'recordedat',
);

describe('the settlement archive through Athena (SDK mocked at the edge: Athena has no local twin)', () => {
  const athena = mockClient(AthenaClient);
  const archive = new AthenaSettlementArchive(new AthenaClient({ region: 'ap-northeast-2' }), names, {
    intervalMs: 1,
    timeoutMs: 1_000,
  });

  beforeEach(() => athena.reset());

  it('queries one family bucket of one month by its partitions, values as parameters, and reads every page', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: undefined })
      .resolves({
        ResultSet: {
          Rows: [HEADER, row('a', '12', '2026-12-05T01:00:00.000Z', '1000', '', 'NORMAL', 'true', '5')],
        },
        NextToken: 'p2',
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: 'p2' })
      .resolves({
        ResultSet: {
          Rows: [row('b', '13', '2026-12-05T02:00:00.000Z', '2000', 'video', 'APP_BLOCK', 'false', '6')],
        },
      });

    const rows = await archive.settlements({ familyId: 1_001, period: '202612', customerId: 13 });

    const start = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(start?.WorkGroup).toBe(names.workGroup);
    expect(start?.QueryString).toBe(
      'SELECT eventid, customerid, eventtime, bytesused, appid, decision, counted, recordedat, correctedbytes ' +
        'FROM "usage_archive"."settlements" WHERE period = ? AND bucket = ? AND familyid = ? AND customerid = ? ' +
        "AND kind = 'SETTLEMENT'",
    );
    expect(start?.ExecutionParameters).toEqual(["'202612'", String(1_001 % 64), '1001', '13']);
    expect(rows.map((r) => [r.eventId, r.customerId, r.bytesUsed, r.counted, r.recordedAt])).toEqual([
      ['a', 12, 1000, true, 5],
      ['b', 13, 2000, false, 6],
    ]);
  });

  it('says why a query failed, in one line', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'Query exhausted resources' } },
    });
    await expect(archive.settlements({ familyId: 7, period: '202612' })).rejects.toThrow(
      /archive query q2 failed: Query exhausted resources/,
    );
  });

  it('refuses a database or table name that is not a Glue name before it queries', () => {
    expect(() => new AthenaSettlementArchive(new AthenaClient({}), { ...names, table: 'x"; DROP' })).toThrow(
      /archive table name/,
    );
  });
});
