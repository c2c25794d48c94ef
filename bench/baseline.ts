import type { Context } from 'aws-lambda';
import { nextStamp } from '../functions/core/commit-stamp';
import { decodeMskEvent, type KafkaRecord, type MskEvent } from '../functions/core/kafka-record';
import type { DeadLetter } from '../functions/core/ports';
import { letterIdOf } from '../functions/core/record-fates';
import { type Rejection, reject } from '../functions/core/rejection';
import type { EventReply } from '../functions/core/settlement/decision';
import type { DecideContext } from '../functions/core/settlement/ports';
import { buildSettlement } from '../functions/core/settlement/records';
import type { BatchItemFailure, SettlementDeps } from '../functions/core/settlement/settle-batch';
import { isCorrection, type UsageEvent, validateRecord } from '../functions/core/settlement/usage-event';
import { withObservability } from '../functions/runtime/middleware';
import type { Observability } from '../functions/runtime/observability';

/**
 * The baseline: the straightforward shape of the system this product replaces, built from
 * the product's own adapters. One event at a time, in order, nothing
 * concurrent: validate, run the script for the event (loading the family's
 * state, or asking the ledger, when it says so), then one DynamoDB transaction
 * for the event and the confirmation in Redis; dead letters are sent one by
 * one. No retries: the first error stops the partition there (a batch item
 * failure), the way a plain consumer would.
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
  if (validated.kind === 'expired')
    return deadLetter(record, validated.rejection, validated.event.eventId, deps);
  const { event } = validated;
  // The baseline measures usage only; corrections take the same path in both.
  if (isCorrection(event)) return;
  const answered = await decide(event, record, deps);
  if (answered === null) return;
  const { reply, state } = answered;
  if (reply.kind === 'settled' || reply.kind === 'rejected') return;
  if (reply.kind === 'not-member') return deadLetter(record, notAMember(event), event.eventId, deps);
  if (reply.kind === 'conflict') return deadLetter(record, conflict(event), event.eventId, deps);
  // A state that had taken no global revision took the one it was just decided with.
  const globalRevision = state.globalRevision ?? (await deps.globalPolicy.current()).revision;
  const write = buildSettlement({
    event,
    record,
    decision: reply.decision,
    decidedAtVersion: state.version,
    globalRevision,
    decidedFrom: 'redis',
    nowMs: clock.now(),
    outboxGraceMs: settings.outboxGraceMs,
  });
  const stampMs = nextStamp(state.stampMs, clock.now());
  const unit = {
    familyId: event.familyId,
    periods: [
      {
        period: event.period,
        versionBefore: state.version,
        quotaBytes: state.quotaBytes,
        incarnation: state.incarnation,
        stampMs,
        globalRevision,
        writes: [write],
        rejections: [],
      },
    ],
  };
  const { outcomes } = await deps.ledger.commit([unit]);
  const outcome = outcomes.get(unit);
  if (outcome?.kind === 'committed') {
    await deps.cache.confirm(
      event.familyId,
      event.period,
      { before: state.version, after: state.version + 1, incarnation: state.incarnation, stampMs },
      [{ eventId: event.eventId, payloadHash: event.payloadHash }],
    );
    return;
  }
  // Anything else: the state was outdated or the event settled before; reload it and let redelivery decide.
  await deps.cache.invalidate(event.familyId, [event.period]);
  if (outcome?.kind !== 'stale' || !outcome.fates.some((f) => f.record.eventId === event.eventId)) {
    throw new Error('the event was not settled');
  }
}

/** The event's answer from Redis, loading the state or asking the ledger as often as the script asks. */
async function decide(event: UsageEvent, record: KafkaRecord, deps: SettlementDeps) {
  const { cache, ledger, settings, clock } = deps;
  let checked = false;
  for (let round = 0; round < 4; round++) {
    const context: DecideContext = {
      verifyBeforeMs: clock.now() - settings.dedupWindowMs + settings.clockMarginMs,
      clockMarginMs: settings.clockMarginMs,
      ...(await deps.globalPolicy.current().then(({ policy, revision }) => ({
        globalPolicy: policy,
        globalRevision: revision,
      }))),
    };
    const result = await cache.decideLane(
      event.familyId,
      [{ event, recordTimestampMs: record.raw.timestamp, checked }],
      context,
    );
    const reply: EventReply | undefined = result.replies[0];
    const state = result.states.get(event.period);
    if (reply && state) return { reply, state };
    if (reply?.kind === 'settled') return null;
    if (result.stop?.kind === 'hydrate') {
      for (const snapshot of await ledger.loadSnapshots(event.familyId, [event.period]))
        await cache.hydrate(snapshot);
    } else if (result.stop?.kind === 'verify') {
      if ((await ledger.findFates([event.eventId])).has(event.eventId)) return null;
      checked = true;
    }
  }
  throw new Error('the family state kept changing');
}

async function deadLetter(
  record: KafkaRecord,
  rejection: Rejection,
  eventId: string | null,
  { deadLetters, clock }: SettlementDeps,
): Promise<void> {
  const letter: DeadLetter = {
    ...rejection,
    letterId: letterIdOf(record, rejection),
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

const conflict = (event: UsageEvent) =>
  reject('EVENT_ID_CONFLICT', `eventId ${event.eventId} reused with another payload`);
