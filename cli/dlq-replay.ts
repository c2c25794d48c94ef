import type { ReceivedLetter } from '../functions/adapters/sqs/dead-letter-reader';
import { applyChangeBatch, type ChangeBatchReport } from '../functions/core/changes/apply-batch';
import { decodeMskEvent, type MskRecord, type PartitionBatch } from '../functions/core/kafka-record';
import type { BatchItemFailure } from '../functions/core/record-fates';
import type { BatchReport } from '../functions/core/settlement/settle-batch';
import { settleBatch } from '../functions/core/settlement/settle-batch';
import { validateRecord } from '../functions/core/settlement/usage-event';
import type { CliContext } from './context';

/** How long received letters stay hidden from other readers while a replay runs. */
const REPLAY_VISIBILITY_SECONDS = 300;

export interface ReplayReport {
  readonly received: number;
  readonly replayed: number;
  /** Letters of another reason, left in the queue untouched. */
  readonly skipped: number;
  /** Messages that are not dead letters of this product, left in the queue. */
  readonly unreadable: number;
  /** Replayed and finished (settled, duplicate, or rejected again): deleted from the queue. */
  readonly deleted: number;
  /** Replayed but not finished (transient failure): left in the queue for the next replay. */
  readonly unfinished: number;
  /** Further letters of a record already selected (it was rejected on more than one delivery): replayed once. */
  readonly copies: number;
  readonly settlement: BatchReport | null;
  /** What the policy and family letters did, replayed through the change path. */
  readonly config: ChangeBatchReport | null;
}

/**
 * Re-submits dead letters' original MSK records through the code their
 * function runs: usage events through settlement (settleBatch), letters of
 * the change topics through the family and policy path (applyChangeBatch). A
 * record that is still invalid is sent to the queue again with its reason; the
 * original message is deleted only once its record finished.
 */
export async function replayDeadLetters(
  ctx: CliContext,
  options: {
    readonly reason: string | undefined;
    readonly max: number;
    /** Topics of policy and family events: their letters go through the change path. */
    readonly changeTopics: ReadonlyArray<string>;
  },
): Promise<ReplayReport> {
  const reader = ctx.deadLetters;
  const received = await reader.receive({ max: options.max, visibilitySeconds: REPLAY_VISIBILITY_SECONDS });
  const readable = received.filter((m) => m.letter !== null);
  const selected = readable.filter((m) => options.reason === undefined || m.reason === options.reason);
  const skipped = readable.length - selected.length;
  const keep = received.filter((m) => !selected.includes(m));
  if (selected.length === 0) {
    await reader.release(keep);
    return { ...emptyReport(received.length, skipped), unreadable: received.length - readable.length };
  }

  // A record rejected on several deliveries has several letters (one letter id): it is replayed once.
  const byRecord = new Map<MskRecord, ReceivedLetter[]>();
  const byCoordinates = new Map<string, MskRecord>();
  const partitions: Record<string, MskRecord[]> = {};
  for (const message of selected) {
    const letter = message.letter!;
    const at = `${letter.partitionKey}:${letter.record.offset}`;
    const first = byCoordinates.get(at);
    if (first) {
      byRecord.get(first)?.push(message);
      continue;
    }
    byCoordinates.set(at, letter.record);
    byRecord.set(letter.record, [message]);
    partitions[letter.partitionKey] ??= [];
    partitions[letter.partitionKey]?.push(letter.record);
  }
  for (const records of Object.values(partitions)) records.sort((a, b) => a.offset - b.offset);
  const batch = decodeMskEvent({ eventSource: 'aws:kafka', records: partitions });
  const isConfig = (p: PartitionBatch) => options.changeTopics.includes(p.records[0]?.raw.topic ?? '');
  const usage = batch.filter((p) => !isConfig(p));
  const config = batch.filter(isConfig);
  const batchItemFailures: BatchItemFailure[] = [];
  let report: BatchReport | null = null;
  let changeReport: ChangeBatchReport | null = null;
  if (usage.length > 0) {
    const deps = await ctx.settlementDeps();
    await forgetRejections(ctx, usage, selected);
    const settled = await settleBatch(usage, deps);
    batchItemFailures.push(...settled.batchItemFailures);
    report = settled.report;
  }
  if (config.length > 0) {
    const applied = await applyChangeBatch(config, await ctx.changeBatchDeps());
    batchItemFailures.push(...applied.batchItemFailures);
    changeReport = applied.report;
  }

  // As Kafka would: from the first unfinished offset on, a partition's records count as unfinished
  // (an offset that cannot be found makes the whole partition unfinished).
  const finished: ReceivedLetter[] = [];
  const unfinished: ReceivedLetter[] = [];
  for (const partition of batch) {
    const failure = batchItemFailures.find((f) => f.itemIdentifier.partition === partition.partitionKey);
    const firstUnfinished =
      failure === undefined
        ? partition.records.length
        : partition.records.findIndex((r) => r.offset === failure.itemIdentifier.offset);
    partition.records.forEach((record, index) => {
      const messages = byRecord.get(record.raw) ?? [];
      (index < firstUnfinished ? finished : unfinished).push(...messages);
    });
  }
  const notDeleted = await reader.delete(finished);
  await reader.release([...keep, ...unfinished, ...notDeleted]);
  return {
    received: received.length,
    replayed: selected.length,
    skipped,
    unreadable: received.length - readable.length,
    deleted: finished.length - notDeleted.length,
    unfinished: unfinished.length + notDeleted.length,
    copies: selected.length - byCoordinates.size,
    settlement: report,
    config: changeReport,
  };
}

/**
 * A replay decides a record rejected as not a member again, against the
 * family as it is now: the ledger's record of that rejection (which makes
 * redeliveries reject it again) is removed first, and Redis's mark of it.
 */
async function forgetRejections(
  ctx: CliContext,
  batch: ReadonlyArray<PartitionBatch>,
  selected: ReadonlyArray<ReceivedLetter>,
) {
  const notMember = new Set(
    selected
      .filter((m) => m.reason === 'NOT_A_MEMBER')
      .map((m) => `${m.letter?.partitionKey}:${m.letter?.record.offset}`),
  );
  const cache = await ctx.cache();
  const ledger = ctx.ledger;
  const { settlement } = ctx.config;
  for (const partition of batch) {
    for (const record of partition.records) {
      if (!notMember.has(`${partition.partitionKey}:${record.offset}`)) continue;
      const validated = validateRecord(record, {
        timeZone: settlement.timeZone,
        nowMs: Date.now(),
        futureSkewMs: settlement.futureSkewMs,
        maxBytesPerEvent: settlement.maxBytesPerEvent,
      });
      if (validated.kind !== 'event') continue;
      const { familyId, eventId } = validated.event;
      await ledger.forgetRejection(eventId);
      await cache.forgetRejection(familyId, eventId);
    }
  }
}

function emptyReport(received: number, skipped: number): ReplayReport {
  return {
    received,
    replayed: 0,
    skipped,
    unreadable: 0,
    deleted: 0,
    unfinished: 0,
    copies: 0,
    settlement: null,
    config: null,
  };
}
