import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  type ArchivedSettlement,
  bucketOf,
  type SettlementArchive,
  type SettlementQuery,
} from './archived-settlements';
import { OperationError } from './errors';

export interface AthenaArchiveNames {
  /** The stack's outputs ArchiveDatabase, ArchiveTable, ArchiveWorkGroup. */
  readonly database: string;
  readonly table: string;
  readonly workGroup: string;
}

const COLUMNS = [
  'eventid',
  'customerid',
  'eventtime',
  'bytesused',
  'appid',
  'decision',
  'counted',
  'recordedat',
  'correctedbytes',
];
const IDENTIFIER = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * The archive in AWS: one Athena query on the Glue table, pruned to the
 * family's period and bucket by their partition keys, so it reads one 64th of
 * a month. Values travel as execution parameters, never spliced into the text.
 */
export class AthenaSettlementArchive implements SettlementArchive {
  constructor(
    private readonly client: AthenaClient,
    private readonly names: AthenaArchiveNames,
    private readonly poll = { intervalMs: 500, timeoutMs: 300_000 },
  ) {
    for (const [what, name] of [
      ['database', names.database],
      ['table', names.table],
    ] as const) {
      if (!IDENTIFIER.test(name))
        throw new OperationError(`the archive ${what} name "${name}" is not a Glue name`);
    }
  }

  async settlements(query: SettlementQuery): Promise<ArchivedSettlement[]> {
    const member = query.customerId === undefined ? '' : ' AND customerid = ?';
    const parameters = [`'${query.period}'`, String(bucketOf(query)), String(query.familyId)];
    if (query.customerId !== undefined) parameters.push(String(query.customerId));
    const { QueryExecutionId } = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString:
          `SELECT ${COLUMNS.join(', ')} FROM "${this.names.database}"."${this.names.table}" ` +
          `WHERE period = ? AND bucket = ? AND familyid = ?${member} AND kind = 'SETTLEMENT'`,
        ExecutionParameters: parameters,
        WorkGroup: this.names.workGroup,
      }),
    );
    if (!QueryExecutionId) throw new OperationError('Athena started no query');
    await this.finished(QueryExecutionId);
    return this.rows(QueryExecutionId);
  }

  private async finished(id: string): Promise<void> {
    const deadline = Date.now() + this.poll.timeoutMs;
    for (;;) {
      const { QueryExecution } = await this.client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') return;
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new OperationError(
          `the archive query ${id} ${state.toLowerCase()}: ${QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`,
        );
      }
      if (Date.now() > deadline) throw new OperationError(`the archive query ${id} did not finish in time`);
      await new Promise((r) => setTimeout(r, this.poll.intervalMs));
    }
  }

  private async rows(id: string): Promise<ArchivedSettlement[]> {
    const rows: ArchivedSettlement[] = [];
    let token: string | undefined;
    let header = true;
    do {
      const page = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token }),
      );
      for (const row of page.ResultSet?.Rows ?? []) {
        // The first row of the first page names the columns.
        if (header) {
          header = false;
          continue;
        }
        const v = (row.Data ?? []).map((d) => d.VarCharValue);
        rows.push({
          eventId: v[0] ?? '',
          customerId: Number(v[1]),
          eventTime: v[2] ?? '',
          bytesUsed: Number(v[3] ?? 0),
          appId: v[4] ?? null,
          decision: v[5] ?? '',
          counted: v[6] === 'true',
          recordedAt: Number(v[7] ?? 0),
          // Athena answers an absent value as no VarCharValue.
          correctedBytes: v[8] === undefined || v[8] === '' ? null : Number(v[8]),
        });
      }
      token = page.NextToken;
    } while (token);
    return rows;
  }
}
