import { type CatchUpDeps, catchUpGlobal } from '../changes/global-catch-up';
import { forEachConcurrently } from '../concurrency';
import { applyCorrection } from '../corrections/apply-correction';
import type { CorrectionStore } from '../corrections/ports';
import type { UsageCorrection } from '../corrections/usage-correction';
import { DegradableCache } from '../degraded/degradable-cache';
import type { RedisBreaker } from '../degraded/redis-breaker';
import { describeError, isInvariantError, TransientError } from '../errors';
import { NO_POLICY } from '../family';
import type { KafkaRecord, PartitionBatch } from '../kafka-record';
import type { Clock, DeadLetterQueue, GlobalLevel, GlobalPolicySource } from '../ports';
import { type BatchItemFailure, RecordFates } from '../record-fates';
import { type Rejection, type RejectionReason, reject } from '../rejection';
import { type RetryPolicy, retryTransient } from '../retry';
import { type DecisionStatus, effectOf } from '../status-effects';
import type { Decision, EventReply, LaneReply } from './decision';
import { type Item, isFinal, isOpen, type Lane } from './lane';
import { confirmations, type PlannedUnit, planCommit } from './lane-commit';
import type { DecideContext, Ledger, UsageCache } from './ports';
import type { LedgerFate } from './records';
import { isCorrection, type LaneEvent, type UsageEvent, validateRecord } from './usage-event';

export interface SettlementSettings {
  readonly timeZone: string;
  readonly futureSkewMs: number;
  readonly maxBytesPerEvent: number;
  readonly familyConcurrency: number;
  readonly retry: RetryPolicy;
  readonly outboxGraceMs: number;
  /** How long Redis keeps an event's settled mark after the ledger committed it. */
  readonly dedupWindowMs: number;
  /** Allowance for clocks between Kafka record timestamps and the functions' own. */
  readonly clockMarginMs: number;
}

export interface SettlementLog {
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface SettlementDeps {
  readonly cache: UsageCache;
  /**
   * Deciding from the ledger alone while Redis is out: the container's
   * breaker, and the in-memory period states a batch then loads from the ledger.
   */
  readonly degradation?: { readonly breaker: RedisBreaker; readonly inMemory: () => UsageCache };
  readonly ledger: Ledger;
  /** Where corrections of settled usage are written (read through the ledger and the change store). */
  readonly corrections: CorrectionStore;
  readonly deadLetters: DeadLetterQueue;
  readonly globalPolicy: GlobalPolicySource;
  /** How a family takes the global default changes made since its period state took one. */
  readonly globalChanges: CatchUpDeps;
  readonly clock: Clock;
  readonly settings: SettlementSettings;
  readonly log: SettlementLog;
}

export interface BatchReport {
  received: number;
  settled: Partial<Record<DecisionStatus, number>>;
  duplicates: number;
  rejected: Partial<Record<RejectionReason, number>>;
  skipped: number;
  notificationsStaged: number;
  /** Period states loaded from the ledger into Redis. */
  hydrations: number;
  /** Events settled from period states loaded from the ledger while Redis was out. */
  degradedDecisions: number;
  /** Whether any of the batch was decided without Redis. */
  degraded: boolean;
  /** How long Redis has been out as this container sees it (0: it is not). */
  degradedForMs: number;
  /** Events the ledger was asked about because Redis could not know whether they were settled. */
  ledgerChecks: number;
  /** Commits the ledger refused because Redis had answered from an outdated state; the lane was decided again. */
  staleStates: number;
  /** Global default changes a family took before its next decision (one per revision and period). */
  globalCatchUps: number;
  /** Corrections that changed what an event counts, and those a newer correction had made moot. */
  correctionsApplied: number;
  correctionsSuperseded: number;
  transactions: number;
  retries: number;
  bugs: number;
  unfinished: number;
}

export type { BatchItemFailure };

export interface BatchResult {
  readonly batchItemFailures: BatchItemFailure[];
  readonly report: BatchReport;
}

/** Decide-and-commit passes per batch; each further pass follows a state that changed under the lane. */
const MAX_PASSES = 4;
/** Decision rounds per pass; each further round follows a period state loaded or the ledger asked. */
const MAX_ROUNDS = 6;

const increment = <K extends string>(counts: Partial<Record<K, number>>, key: K) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Settles one MSK batch. Each family's events form a lane, decided in
 * delivery order by one Redis script call per lane and round; a lane stops at
 * the first event Redis cannot decide (its period state is not loaded, or it
 * may have been settled before Redis could know), the missing piece is read
 * from the ledger, and the lane goes on from that event. The decisions then
 * commit in packed ledger transactions, each family's only if the ledger's
 * period version still equals the one Redis decided from; a lane whose state
 * turned out outdated is reloaded and decided again. What could not be
 * finished is reported as a batch item failure at the first unfinished offset
 * of its partition; every step is idempotent, so the redelivery settles
 * nothing twice.
 */
export async function settleBatch(
  partitions: ReadonlyArray<PartitionBatch>,
  deps: SettlementDeps,
): Promise<BatchResult> {
  const batch = new Batch(deps);
  const lanes = batch.validate(partitions);
  await batch.resolveExpired();
  if (lanes.length > 0 && (await batch.readGlobal(lanes))) {
    // A pass that applied a correction made progress: it does not count against the passes for changes.
    for (let pass = 1, passes = MAX_PASSES; pass <= passes; pass++) {
      const active = lanes.filter((l) => !l.failed && l.items.some((i) => !isFinal(i)));
      if (active.length === 0) break;
      if (pass === passes) {
        for (const lane of active) batch.failLane(lane, new TransientError('the family state kept changing'));
        break;
      }
      await batch.decide(active);
      await batch.commit(active);
      if (await batch.correct(active)) passes++;
    }
  }
  await batch.fates.sendLetters();
  batch.report.degraded = batch.cache instanceof DegradableCache && batch.cache.degraded;
  const since = deps.degradation?.breaker.degradedSince;
  batch.report.degradedForMs = since ? Math.max(0, deps.clock.now() - since) : 0;
  const batchItemFailures = batch.fates.failures(partitions);
  batch.report.rejected = batch.fates.rejected;
  batch.report.unfinished = batch.fates.unfinished;
  return { batchItemFailures, report: batch.report };
}

class Batch {
  readonly report: BatchReport = {
    received: 0,
    settled: {},
    duplicates: 0,
    rejected: {},
    skipped: 0,
    notificationsStaged: 0,
    hydrations: 0,
    degradedDecisions: 0,
    degraded: false,
    degradedForMs: 0,
    ledgerChecks: 0,
    staleStates: 0,
    globalCatchUps: 0,
    correctionsApplied: 0,
    correctionsSuperseded: 0,
    transactions: 0,
    retries: 0,
    bugs: 0,
    unfinished: 0,
  };
  readonly fates: RecordFates;
  /** Records older than any replay may be: refused, unless the ledger holds their fate from a first delivery. */
  readonly expired: Array<{ record: KafkaRecord; event: LaneEvent; rejection: Rejection }> = [];
  /** Redis, or for this batch Redis with a fallback to the ledger when its breaker opens. */
  readonly cache: UsageCache;
  /** The global default level the batch decides with; a family that decided with a newer one moves it on. */
  global: GlobalLevel = { policy: NO_POLICY, revision: 0 };

  constructor(private readonly deps: SettlementDeps) {
    this.fates = new RecordFates({ ...deps, retry: deps.settings.retry });
    const { degradation } = deps;
    this.cache = degradation
      ? new DegradableCache(deps.cache, degradation.breaker, degradation.inMemory)
      : deps.cache;
  }

  validate(partitions: ReadonlyArray<PartitionBatch>): Lane[] {
    const { settings, clock } = this.deps;
    const nowMs = clock.now();
    const lanes = new Map<number, Lane>();
    for (const partition of partitions) {
      for (const record of partition.records) {
        this.report.received++;
        const validated = validateRecord(record, {
          timeZone: settings.timeZone,
          nowMs,
          futureSkewMs: settings.futureSkewMs,
          maxBytesPerEvent: settings.maxBytesPerEvent,
        });
        if (validated.kind === 'skip') {
          this.report.skipped++;
          this.fates.finish(record);
        } else if (validated.kind === 'reject') {
          this.fates.reject(record, validated.rejection, null);
        } else if (validated.kind === 'expired') {
          this.expired.push({ record, event: validated.event, rejection: validated.rejection });
        } else {
          const { familyId } = validated.event;
          const lane: Lane = lanes.get(familyId) ?? {
            familyId,
            items: [],
            failed: false,
            seen: new Map(),
            pending: new Map(),
            stale: new Set(),
          };
          lane.items.push({ record, event: validated.event, state: { kind: 'open', checked: false } });
          lanes.set(familyId, lane);
        }
      }
    }
    return [...lanes.values()];
  }

  /**
   * A record too old to be decided now may have been decided when it was
   * young: what the ledger holds is its fate, and only a record the ledger
   * never saw is refused. Either way no Redis state is touched. If the ledger
   * cannot be asked, the records stay unfinished and are redelivered.
   */
  async resolveExpired(): Promise<void> {
    if (this.expired.length === 0) return;
    const { ledger, settings } = this.deps;
    const ids = [...new Set(this.expired.map((e) => e.event.eventId))];
    try {
      const found = await retryTransient(() => ledger.findFates(ids), settings.retry);
      this.report.ledgerChecks += this.expired.length;
      for (const { record, event, rejection } of this.expired) {
        const fate = found.get(event.eventId);
        const item: Item = { record, event, state: { kind: 'open', checked: true } };
        if (fate) this.resolveFromLedger(item, fate);
        else this.rejectItem(item, rejection);
      }
    } catch (error) {
      this.deps.log.error('the ledger could not be asked about expired records; they are redelivered', {
        records: this.expired.length,
        error: describeError(error),
      });
    }
  }

  /** The global default level the batch decides with; without it nothing can be decided (false). */
  async readGlobal(lanes: ReadonlyArray<Lane>): Promise<boolean> {
    try {
      this.global = await retryTransient(() => this.deps.globalPolicy.current(), this.deps.settings.retry);
      return true;
    } catch (error) {
      for (const lane of lanes) this.failLane(lane, error);
      return false;
    }
  }

  /**
   * Rounds of one script call per lane with open events, until every lane
   * has answers for all of them: after each round, the period states a lane
   * stopped for are loaded and the events it may have settled before are
   * looked up in the ledger.
   */
  async decide(lanes: ReadonlyArray<Lane>): Promise<void> {
    const { settings, clock } = this.deps;
    for (const lane of lanes) {
      lane.seen.clear();
      lane.pending.clear();
    }
    for (let round = 1; ; round++) {
      const open = lanes.filter((l) => !l.failed && decidable(l).length > 0);
      if (open.length === 0) return;
      if (round > MAX_ROUNDS) {
        for (const lane of open)
          this.failLane(lane, new TransientError('the family state kept disappearing'));
        return;
      }
      const context: DecideContext = {
        verifyBeforeMs: clock.now() - settings.dedupWindowMs + settings.clockMarginMs,
        clockMarginMs: settings.clockMarginMs,
        globalPolicy: this.global.policy,
        globalRevision: this.global.revision,
      };
      const toHydrate: Lane[] = [];
      const toVerify: Array<{ lane: Lane; items: Item[] }> = [];
      const toReload: Array<{ lane: Lane; periods: string[] }> = [];
      const toCatchUp: Array<{ lane: Lane; period: string }> = [];
      let behindFamilies = false;
      await Promise.all(
        open.map((lane) =>
          this.guard(lane, async () => {
            const items = decidable(lane);
            const reply = await retryTransient(
              () =>
                this.cache.decideLane(
                  lane.familyId,
                  items.map((item) => ({
                    event: item.event as UsageEvent,
                    recordTimestampMs: item.record.raw.timestamp,
                    checked: item.state.kind === 'open' && item.state.checked,
                  })),
                  context,
                  ownedPending(lane),
                ),
              settings.retry,
              (error, attempt) => this.onRetry(lane, error, attempt),
            );
            if (this.answer(lane, items, reply)) toReload.push({ lane, periods: [...reply.states.keys()] });
            else if (reply.stop?.kind === 'hydrate') toHydrate.push(lane);
            else if (reply.stop?.kind === 'global') {
              // A family already decided with a newer global revision than this container holds: read it.
              if (reply.stop.revision > context.globalRevision) behindFamilies = true;
              else toCatchUp.push({ lane, period: reply.stop.period });
            } else if (reply.stop?.kind === 'verify') {
              const rest = items.slice(reply.replies.length);
              toVerify.push({ lane, items: this.mayBeSettled(rest, reply.stop.horizonMs, context) });
            }
          }),
        ),
      );
      await Promise.all([
        this.hydrate(toHydrate),
        this.verify(toVerify),
        this.reload(toReload),
        this.catchUp(toCatchUp),
        behindFamilies ? this.refreshGlobal(open) : Promise.resolve(),
      ]);
    }
  }

  /**
   * Lets each family take the global default changes made since its period
   * state took one, then drops that state: the lane is decided again from
   * one loaded after them, in order, as after a family change.
   */
  private async catchUp(lanes: ReadonlyArray<{ lane: Lane; period: string }>): Promise<void> {
    const { settings, globalChanges } = this.deps;
    const to = this.global.revision;
    await forEachConcurrently(lanes, settings.familyConcurrency, ({ lane, period }) =>
      this.guard(lane, async () => {
        const staged = await retryTransient(
          () => catchUpGlobal(lane.familyId, period, to, globalChanges),
          settings.retry,
        );
        await retryTransient(() => this.cache.invalidate(lane.familyId, [period]), settings.retry);
        this.report.globalCatchUps++;
        this.report.notificationsStaged += staged;
        this.forgetAnswers(lane);
      }),
    );
  }

  /** Reads the global default level again; until it is at least what the families decided with, they wait. */
  private async refreshGlobal(lanes: ReadonlyArray<Lane>): Promise<void> {
    try {
      const level = await retryTransient(() => this.deps.globalPolicy.refresh(), this.deps.settings.retry);
      if (level.revision > this.global.revision) this.global = level;
    } catch (error) {
      for (const lane of lanes) this.failLane(lane, error);
    }
  }

  /**
   * Whether a state of the reply was replaced since earlier rounds answered
   * from it (then nothing is kept): loaded afresh (another incarnation), or
   * put back at another version or without decisions those rounds left
   * pending in it, as a promoted replica that lagged would be.
   */
  private answer(lane: Lane, items: ReadonlyArray<Item>, reply: LaneReply): boolean {
    const replaced =
      reply.stop?.kind === 'reload' ||
      [...reply.states].some(([period, state]) => {
        const seen = lane.seen.get(period);
        return (
          lane.stale.has(state.incarnation) ||
          (seen !== undefined &&
            (seen.incarnation !== state.incarnation ||
              seen.version !== state.version ||
              state.pending < (lane.pending.get(period) ?? 0)))
        );
      });
    if (replaced) {
      // A state was loaded afresh (Redis lost it, or the lane switched stores) since earlier rounds answered
      // from it: those answers go too, and so does the new state, which has just decided this round's events
      // ahead of the earlier ones. Loaded again, it decides the lane's open events in delivery order.
      this.forgetAnswers(lane);
      return true;
    }
    for (const [period, state] of reply.states) {
      if (!lane.seen.has(period)) lane.seen.set(period, state);
      const decided = reply.replies.filter((r, i) => r.kind === 'new' && items[i]?.event.period === period);
      lane.pending.set(period, state.pending + decided.length);
    }
    for (const [i, answer] of reply.replies.entries()) {
      const item = items[i] as Item;
      if (answer.kind === 'settled') this.complete(item, { kind: 'duplicate' });
      else if (answer.kind === 'rejected') this.rejectItem(item, notAMember(item), answer.decidedAtVersion);
      else item.state = { kind: 'answered', reply: answer };
    }
    return false;
  }

  /** Forgets what the lane's states answered in this pass: they are to be loaded again. */
  private forgetAnswers(lane: Lane) {
    lane.seen.clear();
    lane.pending.clear();
    for (const item of lane.items)
      if (item.state.kind === 'answered') item.state = { kind: 'open', checked: false };
  }

  /**
   * The event Redis stopped at and the later ones of the lane that may also
   * have been settled before Redis could know (their records are older than
   * the dedup window, or not newer than the period's settled horizon).
   */
  private mayBeSettled(items: ReadonlyArray<Item>, horizonMs: number, context: DecideContext): Item[] {
    const [first, ...rest] = items;
    if (!first) return [];
    const horizon = horizonMs + context.clockMarginMs;
    return [
      first,
      ...rest.filter((item) => {
        if (item.state.kind !== 'open' || item.state.checked) return false;
        const ts = item.record.raw.timestamp;
        return ts < context.verifyBeforeMs || (item.event.period === first.event.period && ts <= horizon);
      }),
    ];
  }

  /** Loads the period states of each lane's open events from the ledger, one family read per lane. */
  private async hydrate(lanes: ReadonlyArray<Lane>): Promise<void> {
    const { ledger, settings } = this.deps;
    const { cache } = this;
    await forEachConcurrently(lanes, settings.familyConcurrency, (lane) =>
      this.guard(lane, async () => {
        const periods = [...new Set(decidable(lane).map((i) => i.event.period))];
        const snapshots = await retryTransient(
          () => ledger.loadSnapshots(lane.familyId, periods),
          settings.retry,
        );
        await retryTransient(() => Promise.all(snapshots.map((s) => cache.hydrate(s))), settings.retry);
        this.report.hydrations += snapshots.length;
      }),
    );
  }

  /** Drops the period states a lane found replaced, so that the next round loads them afresh from the ledger. */
  private async reload(lanes: ReadonlyArray<{ lane: Lane; periods: string[] }>): Promise<void> {
    const { settings } = this.deps;
    await Promise.all(
      lanes.map(({ lane, periods }) =>
        this.guard(lane, () =>
          retryTransient(() => this.cache.invalidate(lane.familyId, periods), settings.retry),
        ),
      ),
    );
  }

  /** Asks the ledger about events that may have been settled; what it holds is final, the rest is decided. */
  private async verify(lanes: ReadonlyArray<{ lane: Lane; items: ReadonlyArray<Item> }>): Promise<void> {
    const items = lanes.flatMap((l) => l.items);
    if (items.length === 0) return;
    const { ledger, settings } = this.deps;
    let found: Map<string, LedgerFate>;
    try {
      found = await retryTransient(
        () => ledger.findFates([...new Set(items.map((i) => i.event.eventId))]),
        settings.retry,
      );
    } catch (error) {
      for (const { lane } of lanes) this.failLane(lane, error);
      return;
    }
    this.report.ledgerChecks += items.length;
    for (const item of items) {
      const fate = found.get(item.event.eventId);
      if (fate) this.resolveFromLedger(item, fate);
      else item.state = { kind: 'open', checked: true };
    }
  }

  /**
   * An event whose fate the ledger holds: a duplicate, a rejection again (its
   * letter may never have gone out; letters carry a stable id), or a conflict
   * when the payload differs.
   */
  private resolveFromLedger(item: Item, fate: LedgerFate) {
    const payloadHash = fate.kind === 'settled' ? fate.record.decision.payloadHash : fate.record.payloadHash;
    if (payloadHash !== item.event.payloadHash) this.rejectItem(item, conflict(item));
    else if (fate.kind === 'rejected') this.rejectItem(item, notAMember(item), fate.record.decidedAtVersion);
    else this.complete(item, { kind: 'duplicate' });
  }

  /**
   * Commits every lane's answers, packed: a lane's share goes into one unit
   * when it fits in a transaction, otherwise into a chain of units committed
   * one after another. Round r commits the r-th unit of every lane still going.
   */
  async commit(lanes: ReadonlyArray<Lane>): Promise<void> {
    const { ledger, clock, settings } = this.deps;
    const plans = lanes
      .filter((l) => !l.failed)
      .map((lane) => ({
        lane,
        units: planCommit(lane, clock.now(), settings.outboxGraceMs, this.global.revision),
        done: 0,
        stale: false,
      }));
    for (let round = 0; ; round++) {
      const going = plans.filter((p) => !p.lane.failed && !p.stale && p.done === round && p.units[round]);
      if (going.length === 0) break;
      const units = going.map((p) => (p.units[round] as PlannedUnit).unit);
      const { outcomes, transactions } = await ledger.commit(units).catch((error: unknown) => ({
        outcomes: new Map(units.map((u) => [u, { kind: 'failed', error } as const])),
        transactions: 0,
      }));
      this.report.transactions += transactions;
      for (const plan of going) {
        const planned = plan.units[round] as PlannedUnit;
        const outcome = outcomes.get(planned.unit) ?? {
          kind: 'failed',
          error: new TransientError('no outcome'),
        };
        if (outcome.kind === 'committed') {
          plan.done++;
          for (const item of planned.items) this.settleCommitted(plan.lane, item, planned.owners);
        } else if (outcome.kind === 'stale') {
          plan.stale = true;
          this.report.staleStates++;
          for (const period of planned.unit.periods) plan.lane.stale.add(period.incarnation);
          this.reopen(plan.lane, outcome.fates);
        } else {
          this.failLane(plan.lane, outcome.error, planned.items[0]);
        }
      }
    }
    await Promise.all(
      plans.map((plan) => this.confirm(plan.lane, plan.units.slice(0, plan.done), plan.stale)),
    );
  }

  /**
   * Applies the corrections each lane has reached: everything before them is
   * committed, so the events before a correction were decided with the old
   * amount. Each is written to the ledger on its own, then the family's
   * period state is dropped, so the events after it are decided from a state
   * loaded with it (Redis, or memory while Redis is out). True when any was
   * applied or found applied before.
   */
  async correct(lanes: ReadonlyArray<Lane>): Promise<boolean> {
    const { settings } = this.deps;
    let progressed = false;
    await forEachConcurrently(lanes, settings.familyConcurrency, (lane) =>
      this.guard(lane, async () => {
        for (let item = nextUp(lane); item && isCorrection(item.event); item = nextUp(lane)) {
          await this.correctItem(lane, item, item.event);
          progressed = true;
        }
      }),
    );
    return progressed;
  }

  private async correctItem(lane: Lane, item: Item, correction: UsageCorrection): Promise<void> {
    const { deps } = this;
    const { raw } = item.record;
    const outcome = await retryTransient(
      () =>
        applyCorrection(
          correction,
          { topic: raw.topic, partition: raw.partition, offset: raw.offset },
          this.global,
          {
            store: deps.corrections,
            ledger: deps.ledger,
            changes: deps.globalChanges.store,
            clock: deps.clock,
            settings: deps.settings,
          },
        ),
      deps.settings.retry,
      (error, attempt) => this.onRetry(lane, error, attempt),
    );
    if (outcome.kind === 'duplicate') {
      this.complete(item, { kind: 'duplicate' });
      return;
    }
    if (outcome.kind === 'rejected') {
      this.rejectItem(item, outcome.rejection);
      return;
    }
    const { plan } = outcome;
    if (plan.original) this.report.correctionsApplied++;
    else this.report.correctionsSuperseded++;
    this.report.notificationsStaged += outcome.outbox.length;
    item.state = { kind: 'corrected' };
    this.fates.finish(item.record);
    if (plan.edit) {
      await retryTransient(
        () => this.cache.invalidate(lane.familyId, [plan.record.period]),
        deps.settings.retry,
      );
    }
  }

  /** After a stale commit: what the ledger holds is final, everything else of the lane is decided again. */
  private reopen(lane: Lane, fates: ReadonlyArray<LedgerFate>) {
    const byEvent = new Map(fates.map((f) => [f.record.eventId, f]));
    for (const item of lane.items) {
      if (isFinal(item)) continue;
      const fate = byEvent.get(item.event.eventId);
      if (fate) this.resolveFromLedger(item, fate);
      else item.state = { kind: 'open', checked: false };
    }
  }

  /**
   * Tells Redis what committed; a lane found stale has its period states
   * dropped, to be loaded afresh. Neither step is needed for safety: a state
   * Redis keeps at an older version is refused at its next commit, and one
   * found stale is never decided from again (the lane remembers it, and
   * the pending decisions it holds for events the ledger settled otherwise
   * make the script ask for a reload).
   */
  private async confirm(lane: Lane, committed: ReadonlyArray<PlannedUnit>, stale: boolean) {
    const { log, settings } = this.deps;
    const { cache } = this;
    try {
      for (const change of confirmations(committed)) {
        await cache.confirm(lane.familyId, change.period, change.versions, change.events);
      }
      if (stale) {
        const periods = [...new Set(lane.items.map((i) => i.event.period))];
        await retryTransient(() => cache.invalidate(lane.familyId, periods), settings.retry);
      }
    } catch (error) {
      log.warn('Redis could not record a commit; the family state is reloaded later', {
        familyId: lane.familyId,
        error: describeError(error),
      });
    }
  }

  private settleCommitted(lane: Lane, item: Item, owners: ReadonlyMap<string, Item>) {
    const decidedAtVersion = lane.seen.get(item.event.period)?.version;
    if (item.state.kind !== 'answered') return;
    const reply: EventReply = item.state.reply;
    const owner = owners.get(item.event.eventId);
    switch (reply.kind) {
      case 'new':
      case 'pending': {
        if (owner !== item) {
          this.complete(item, { kind: 'duplicate' });
          return;
        }
        const decision: Decision = reply.decision;
        const staged = decision.notify && effectOf(decision.status).notification !== null;
        this.complete(item, { kind: 'settled', status: decision.status, staged });
        if (lane.seen.get(item.event.period)?.source === 'ledger') this.report.degradedDecisions++;
        return;
      }
      case 'conflict':
        this.rejectItem(item, conflict(item), decidedAtVersion);
        return;
      case 'not-member':
        this.rejectItem(item, notAMember(item), decidedAtVersion);
        return;
      case 'settled':
        this.complete(item, { kind: 'duplicate' });
    }
  }

  private complete(item: Item, state: Extract<Item['state'], { kind: 'settled' | 'duplicate' }>) {
    item.state = state;
    this.fates.finish(item.record);
    if (state.kind === 'duplicate') {
      this.report.duplicates++;
      return;
    }
    increment(this.report.settled, state.status);
    if (state.staged) this.report.notificationsStaged++;
  }

  private rejectItem(item: Item, rejection: Rejection, decidedAtVersion?: number) {
    item.state = { kind: 'rejected', rejection };
    this.fates.reject(item.record, rejection, item.event.eventId, decidedAtVersion);
  }

  /** Runs a step of a lane; a failure stops the lane (its unfinished events are redelivered). */
  private async guard(lane: Lane, step: () => Promise<void>): Promise<void> {
    if (lane.failed) return;
    try {
      await step();
    } catch (error) {
      this.failLane(lane, error);
    }
  }

  failLane(lane: Lane, error: unknown, at?: Item) {
    if (lane.failed) return;
    lane.failed = true;
    const first = at ?? lane.items.find((i) => !isFinal(i));
    const where = first
      ? { partition: first.record.partitionKey, offset: first.record.offset, eventId: first.event.eventId }
      : {};
    if (isInvariantError(error)) {
      this.report.bugs++;
      this.deps.log.error('settlement invariant broken; the partition stops at this record', {
        ...where,
        familyId: lane.familyId,
        code: error.code,
        error: describeError(error),
      });
    } else {
      this.deps.log.error('transient failure outlived its retries; the partition is redelivered from here', {
        ...where,
        familyId: lane.familyId,
        error: describeError(error),
      });
    }
  }

  private onRetry(lane: Lane, error: unknown, attempt: number) {
    this.report.retries++;
    this.deps.log.warn('transient failure, retrying', {
      familyId: lane.familyId,
      attempt,
      error: describeError(error),
    });
  }
}

/**
 * The lane's open usage events up to its first unfinished correction: a
 * correction is applied once everything before it is committed.
 */
function decidable(lane: Lane): Item[] {
  const items: Item[] = [];
  for (const item of lane.items) {
    if (isFinal(item)) continue;
    if (isCorrection(item.event)) break;
    if (isOpen(item)) items.push(item);
  }
  return items;
}

/** The lane's first unfinished item, when everything before it is final. */
const nextUp = (lane: Lane): Item | undefined =>
  lane.failed ? undefined : lane.items.find((i) => !isFinal(i));

/** Per period, the lane's events answered in earlier rounds of this pass: their decisions are pending in the state. */
function ownedPending(lane: Lane): Map<string, number> {
  const owned = new Map<string, number>();
  for (const item of lane.items) {
    if (item.state.kind !== 'answered') continue;
    const { kind } = item.state.reply;
    if (kind === 'new' || kind === 'pending') {
      owned.set(item.event.period, (owned.get(item.event.period) ?? 0) + 1);
    }
  }
  return owned;
}

const notAMember = ({ event }: Item) =>
  reject('NOT_A_MEMBER', `customer ${event.customerId} is not a member of family ${event.familyId}`);

const conflict = ({ event }: Item) =>
  reject('EVENT_ID_CONFLICT', `eventId ${event.eventId} was already settled with a different payload`);
