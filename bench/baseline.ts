import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { effectOf } from '../functions/core/decisions';
import { decodeMskEvent, type KafkaRecord, type MskEvent } from '../functions/core/kafka-record';
import type { DeadLetter } from '../functions/core/ports';
import { type Rejection, reject } from '../functions/core/rejection';
import type { BatchItemFailure, SettlementDeps } from '../functions/core/settle-batch';
import { buildSettlement } from '../functions/core/settlement';
import { type UsageEvent, validateRecord } from '../functions/core/usage-event';
import { withObservability } from '../functions/shared/middleware';
import type { Observability } from '../functions/shared/observability';

/**
 * The baseline: the straightforward shape of the reference system, built from
 * the product's own adapters. One event at a time, in order, nothing
 * concurrent: validate, check membership, run the script (hydrate and run it
 * again when asked), then one DynamoDB transaction for the event; dead letters
 * are sent one by one. No retries: the first error stops the partition there
 * (a batch item failure), the way a plain consumer would.
 */
export function createBaselineHandler(deps: SettlementDeps, observability: Observability) {
  return withObservability(
    async (event: MskEvent, _context: Context): Promise<{ batchItemFailures: BatchItemFailure[] }> => {
      const batchItemFailures: BatchItemFailure[] = [];
      for (const partition of decodeMskEvent(event)) {
        for (const record of partition.records) {
          try {
            await settleOne(record, deps);
          } catch {
            batchItemFailures.push({
              itemIdentifier: { partition: partition.partitionKey, offset: record.offset },
            });
            break;
          }
        }
      }
      return { batchItemFailures };
    },
    observability,
  );
}

async function settleOne(record: KafkaRecord, deps: SettlementDeps): Promise<void> {
  const { settings, clock } = deps;
  const validated = validateRecord(record, {
    timeZone: settings.timeZone,
    nowMs: clock.now(),
    futureSkewMs: settings.futureSkewMs,
    maxBytesPerEvent: settings.maxBytesPerEvent,
  });
  if (validated.kind === 'skip') return;
  if (validated.kind === 'reject') return deadLetter(record, validated.rejection, null, deps);
  const { event } = validated;
  if (!(await isMember(event, deps))) return deadLetter(record, notAMember(event), event.eventId, deps);

  let result = await deps.cache.decide(event, randomUUID());
  if (result.kind === 'hydrate') {
    const snapshot = await deps.ledger.loadSnapshot(event.familyId, event.period);
    await deps.cache.hydrate(snapshot);
    result = await deps.cache.decide(event, randomUUID());
    if (result.kind === 'hydrate') throw new Error(`${result.missing} state still missing after hydration`);
  }
  if (result.kind === 'conflict') {
    const conflict = reject('EVENT_ID_CONFLICT', `eventId ${event.eventId} reused with another payload`);
    return deadLetter(record, conflict, event.eventId, deps);
  }
  const effect = effectOf(result.decision.status);
  const write = buildSettlement(event, record, result.decision, effect, clock.now(), settings.outboxGraceMs);
  // 'already-settled' is a duplicate: nothing more to do.
  await deps.ledger.settle(write);
}

async function isMember(event: UsageEvent, { cache, ledger }: SettlementDeps): Promise<boolean> {
  const cached = await cache.membership(event.familyId, event.customerId);
  if (cached !== 'unknown') return cached === 'member';
  const directory = await ledger.loadDirectory(event.familyId);
  const ids = directory.members.map((m) => m.customerId);
  await cache.cacheMembers(event.familyId, ids);
  if (ids.includes(event.customerId)) return true;
  await cache.cacheNonMember(event.familyId, event.customerId);
  return false;
}

async function deadLetter(
  record: KafkaRecord,
  rejection: Rejection,
  eventId: string | null,
  { deadLetters, clock }: SettlementDeps,
): Promise<void> {
  const letter: DeadLetter = {
    ...rejection,
    partitionKey: record.partitionKey,
    record: record.raw,
    eventId,
    rejectedAt: new Date(clock.now()).toISOString(),
  };
  const unsent = await deadLetters.send([letter]);
  if (unsent.length > 0) throw new Error('dead letter not accepted');
}

const notAMember = (event: UsageEvent) =>
  reject('NOT_A_MEMBER', `customer ${event.customerId} is not a member of family ${event.familyId}`);
