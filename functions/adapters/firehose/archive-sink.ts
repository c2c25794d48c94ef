import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { ArchiveLine } from '../../core/archive/archive';
import type { ArchiveSink } from '../../core/archive/archive-fates';
import { backoffDelayMs, type RetryPolicy } from '../../core/retry';

/**
 * Firehose bills ingestion per record rounded up to 5 KB, and a line is about
 * half a kilobyte: lines travel newline-delimited, many to a record, and the
 * delivery stream splits them again (record deaggregation) before it
 * partitions them. A record holds at most 1,000 KiB; a PutRecordBatch call
 * at most 500 records and 4 MiB.
 */
export const MAX_RECORD_BYTES = 1_000_000;
const MAX_CALL_BYTES = 4_000_000;
const MAX_RECORDS_PER_CALL = 500;

interface Aggregate {
  readonly data: Buffer;
  /** Indexes of the lines it carries. */
  readonly lines: number[];
}

export function aggregate(lines: ReadonlyArray<ArchiveLine>, maxBytes = MAX_RECORD_BYTES): Aggregate[] {
  const records: Aggregate[] = [];
  let parts: Buffer[] = [];
  let indexes: number[] = [];
  let size = 0;
  const flush = () => {
    if (parts.length === 0) return;
    records.push({ data: Buffer.concat(parts), lines: indexes });
    parts = [];
    indexes = [];
    size = 0;
  };
  for (const [i, line] of lines.entries()) {
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    if (size + bytes.length > maxBytes) flush();
    parts.push(bytes);
    indexes.push(i);
    size += bytes.length;
  }
  flush();
  return records;
}

/** Archive lines into a Firehose delivery stream; failed records are sent again within `retry`. */
export class FirehoseArchiveSink implements ArchiveSink {
  constructor(
    private readonly client: FirehoseClient,
    private readonly deliveryStream: string,
    private readonly retry: RetryPolicy,
  ) {}

  async put(lines: ReadonlyArray<ArchiveLine>): Promise<ReadonlyArray<number>> {
    let pending = aggregate(lines);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed: Aggregate[] = [];
      for (const call of calls(pending)) failed.push(...(await this.send(call)));
      if (failed.length === 0 || attempt >= this.retry.maxAttempts) {
        return failed.flatMap((r) => r.lines).sort((a, b) => a - b);
      }
      pending = failed;
      await new Promise((r) => setTimeout(r, backoffDelayMs(this.retry, attempt)));
    }
    return [];
  }

  /** The records Firehose did not take: all of them when the call itself failed. */
  private async send(records: ReadonlyArray<Aggregate>): Promise<Aggregate[]> {
    try {
      const { FailedPutCount = 0, RequestResponses = [] } = await this.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: this.deliveryStream,
          Records: records.map((r) => ({ Data: r.data })),
        }),
      );
      if (FailedPutCount === 0) return [];
      return records.filter((_, i) => !RequestResponses[i]?.RecordId || RequestResponses[i]?.ErrorCode);
    } catch {
      return [...records];
    }
  }
}

function calls(records: ReadonlyArray<Aggregate>): Aggregate[][] {
  const out: Aggregate[][] = [];
  let call: Aggregate[] = [];
  let size = 0;
  for (const record of records) {
    if (call.length === MAX_RECORDS_PER_CALL || size + record.data.length > MAX_CALL_BYTES) {
      out.push(call);
      call = [];
      size = 0;
    }
    call.push(record);
    size += record.data.length;
  }
  if (call.length > 0) out.push(call);
  return out;
}
