import type { CrashPoint } from './crash-switch';
import type { DynamoFault } from './dynamodb-faults';

/**
 * What Redis can lose or suffer: connections, the script cache, everything
 * (a failover to an empty node), the family period states (which hold the
 * policies and the membership) of random families, the settled marks of
 * random families (the short-lived dedup entries), or a failover to a replica
 * that lagged (every key goes back to how it was at an earlier fault).
 */
export type RedisFault =
  | 'kill-connections'
  | 'flush-scripts'
  | 'lose-data'
  | 'drop-period-states'
  | 'drop-settled-marks'
  /** Every drop of a period state (after a refused commit, or to reload it) fails for a few invocations. */
  | 'fail-drops'
  | 'stale-replica'
  /** The server dies and comes back empty. */
  | 'outage-empty'
  /** The server dies and comes back with an older copy of its data (a lagging replica promoted). */
  | 'outage-stale'
  /** The server dies and comes back several times in quick succession. */
  | 'flap';

/** Where in a batch Redis can die: while a state loads, right after a lane was decided, right before the commit. */
export type OutagePoint = 'hydrate' | 'decide' | 'commit';

/** One fault class, or a combination, applied to one generated workload. */
export interface Scenario {
  readonly name: string;
  /** Per usage-events invocation: chance of dying at one of these points. */
  readonly crash?: { readonly points: ReadonlyArray<CrashPoint>; readonly probability: number };
  readonly dynamo?: { readonly faults: ReadonlyArray<DynamoFault>; readonly probability: number };
  /** Per usage-events invocation: chance of one of these faults hitting Redis while the batch runs. */
  readonly redis?: {
    readonly faults: ReadonlyArray<RedisFault>;
    readonly probability: number;
    /** Per call at each point: chance that Redis dies right there. */
    readonly outageAt?: { readonly points: ReadonlyArray<OutagePoint>; readonly probability: number };
    /**
     * How long the server stays down after an outage (ms, drawn uniformly), 50-400 unless given: long
     * enough, past the breaker's threshold, for many batches to be decided from the ledger alone.
     */
    readonly downMs?: { readonly min: number; readonly max: number };
  };
  readonly eventBridge?: {
    /** The bus refuses every call for this long, once, a third into the run. */
    readonly outageMs?: number;
    /** Share of notifications whose entries fail per entry until the events are settled. */
    readonly failingShare?: number;
    /** Per relay or sweeper invocation: chance that the next PutEvents calls are throttled. */
    readonly throttleProbability?: number;
  };
  readonly duplicates?: {
    /** Per invocation: chance that a successfully processed batch is delivered again. */
    readonly batchProbability: number;
    /** Per invocation: chance that a partition is rewound by up to this many offsets. */
    readonly replayProbability: number;
    readonly replayDepth: number;
  };
  /** Per relay or sweeper invocation: chance of dying between publishing and marking SENT. */
  readonly outboxCrashProbability?: number;
  /** Configuration of the functions that differs from the defaults (env var name to value). */
  readonly config?: Readonly<Record<string, string>>;
  /** Share of events that happened in the previous month, so families span the month boundary. */
  readonly previousPeriodShare?: number;
  /** Share of events of the month before the previous one, in records written last month (still accepted). */
  readonly olderPeriodShare?: number;
  /** Share of events stamped beyond the clock skew after their record: refused on every delivery. */
  readonly aheadShare?: number;
  /** A member of this many families leaves a third into the run, and Redis does not follow. */
  readonly memberRemovals?: number;
  /** Policy and family events published while usage flows. */
  readonly changeEvents?: {
    /** How many per usage event. */
    readonly perUsageEvent: number;
    /** Share carrying an older timestamp than an earlier change of the same value (stale). */
    readonly staleShare: number;
    /** Per config invocation: chance of dying after the ledger committed, before Redis followed. */
    readonly crashProbability?: number;
    /** Per config invocation: chance that a processed batch is delivered again. */
    readonly redeliveryProbability?: number;
    /** Members who join during the run, their limit published before the join (two topics, no order). */
    readonly newcomers?: number;
    /** Share of the changes that are top-ups, some sent again, a few with other bytes (conflicts). */
    readonly topupShare?: number;
    /** Policy changes set and remove zero-rated apps too. */
    readonly zeroRating?: boolean;
  };
  /** Share of usage events corrected later in the stream (some twice, some refused). */
  readonly correctionShare?: number;
  /** Share of members who start with a zero-rated app. */
  readonly zeroRatedShare?: number;
  /**
   * Share of families sized to run out of quota during the run (the workload's default otherwise); with
   * top-ups, the run must see some of them unblock a family.
   */
  readonly runOutShare?: number;
}

export const USAGE_EVENT_CRASH_POINTS: ReadonlyArray<CrashPoint> = [
  'after-validation',
  'after-script',
  'before-hydration',
  'before-ledger-check',
  'before-transaction',
  'after-transaction',
  'before-confirm',
  'before-returning',
];

/** Redis outages of a few hundred ms to 1.5 s: the breaker opens and whole batches decide from the ledger. */
const OUTAGE_MS = { min: 300, max: 1_500 };

const OUTAGES: ReadonlyArray<RedisFault> = ['outage-empty', 'outage-stale', 'flap'];

/** The Redis outage scenarios: Redis only dies and comes back, and the ledger alone must decide for a while. */
export const hasRedisOutages = (s: Scenario) =>
  s.redis !== undefined &&
  (s.redis.faults.length > 0 || (s.redis.outageAt?.probability ?? 0) > 0) &&
  s.redis.faults.every((f) => OUTAGES.includes(f));

export const SCENARIOS: ReadonlyArray<Scenario> = [
  { name: 'no faults' },
  { name: 'crash at every step boundary', crash: { points: USAGE_EVENT_CRASH_POINTS, probability: 0.5 } },
  { name: 'ambiguous DynamoDB commit', dynamo: { faults: ['ambiguous-commit'], probability: 0.05 } },
  {
    name: 'DynamoDB throttling, conflicts, 5xx',
    dynamo: { faults: ['throttling', 'transaction-conflict', 'server-error'], probability: 0.05 },
  },
  { name: 'Redis connections killed', redis: { faults: ['kill-connections'], probability: 0.3 } },
  { name: 'Redis script cache flushed', redis: { faults: ['flush-scripts'], probability: 0.3 } },
  { name: 'Redis data lost (failover)', redis: { faults: ['lose-data'], probability: 0.1 } },
  { name: 'EventBridge outage', eventBridge: { outageMs: 6_000 } },
  { name: 'EventBridge per-entry failures', eventBridge: { failingShare: 0.3 } },
  { name: 'EventBridge throttling', eventBridge: { throttleProbability: 0.3 } },
  {
    name: 'duplicate delivery and replays',
    duplicates: { batchProbability: 0.3, replayProbability: 0.2, replayDepth: 200 },
  },
  { name: 'relay and sweeper crashes', outboxCrashProbability: 0.2 },
  {
    name: 'settled marks lost, then replays',
    redis: { faults: ['drop-settled-marks'], probability: 0.3 },
    duplicates: { batchProbability: 0.2, replayProbability: 0.3, replayDepth: 300 },
  },
  {
    name: 'settled marks lost, then replays, while drops fail',
    redis: { faults: ['drop-settled-marks', 'fail-drops'], probability: 0.5 },
    duplicates: { batchProbability: 0.2, replayProbability: 0.5, replayDepth: 300 },
  },
  {
    name: 'dedup window shorter than replays',
    config: { DEDUP_WINDOW_SECONDS: '2', CLOCK_MARGIN_SECONDS: '1' },
    duplicates: { batchProbability: 0.2, replayProbability: 0.3, replayDepth: 300 },
  },
  {
    name: 'period states (policies, members) lost mid-batch',
    redis: { faults: ['drop-period-states'], probability: 0.5 },
  },
  {
    name: 'families across a month boundary, states lost',
    previousPeriodShare: 0.4,
    redis: { faults: ['drop-period-states', 'lose-data'], probability: 0.3 },
  },
  { name: 'failover to a replica that lagged', redis: { faults: ['stale-replica'], probability: 0.25 } },
  {
    name: 'Redis down, then back empty (degraded mode)',
    redis: { faults: ['outage-empty'], probability: 0.4, downMs: OUTAGE_MS },
  },
  {
    name: 'Redis down during loads, decisions and commits',
    redis: {
      faults: [],
      probability: 0,
      outageAt: { points: ['hydrate', 'decide', 'commit'], probability: 0.01 },
      downMs: OUTAGE_MS,
    },
  },
  { name: 'Redis flapping', redis: { faults: ['flap'], probability: 0.3, downMs: OUTAGE_MS } },
  {
    name: 'Redis back with an older copy (replica promoted)',
    redis: { faults: ['outage-stale'], probability: 0.5, downMs: OUTAGE_MS },
  },
  { name: 'policy and family events, some late', changeEvents: { perUsageEvent: 0.05, staleShare: 0.2 } },
  {
    name: 'a change applied, then a crash before Redis follows',
    changeEvents: { perUsageEvent: 0.05, staleShare: 0.1, crashProbability: 0.4, redeliveryProbability: 0.2 },
  },
  {
    name: 'change events while Redis loses states',
    changeEvents: { perUsageEvent: 0.05, staleShare: 0.1 },
    redis: { faults: ['drop-period-states', 'lose-data', 'stale-replica'], probability: 0.3 },
    crash: { points: USAGE_EVENT_CRASH_POINTS, probability: 0.1 },
  },
  {
    name: 'events stamped ahead of their records, redelivered later',
    aheadShare: 0.05,
    // A skew of a second, so that the clock passes it between deliveries of a record.
    config: { FUTURE_SKEW_SECONDS: '1' },
    duplicates: { batchProbability: 0.3, replayProbability: 0.3, replayDepth: 200 },
  },
  {
    name: 'members leave while Redis lists them, in the oldest month too',
    memberRemovals: 12,
    previousPeriodShare: 0.2,
    olderPeriodShare: 0.2,
    changeEvents: { perUsageEvent: 0.03, staleShare: 0.1 },
  },
  {
    name: 'policies that arrive before their member',
    changeEvents: { perUsageEvent: 0.02, staleShare: 0.1, newcomers: 8, redeliveryProbability: 0.2 },
    crash: { points: USAGE_EVENT_CRASH_POINTS, probability: 0.1 },
  },
  {
    name: 'top-ups and zero-rated apps while Redis loses states and marks, redelivered',
    zeroRatedShare: 0.4,
    runOutShare: 0.6,
    changeEvents: {
      perUsageEvent: 0.04,
      staleShare: 0.1,
      topupShare: 0.4,
      zeroRating: true,
      redeliveryProbability: 0.3,
    },
    redis: {
      faults: ['drop-period-states', 'drop-settled-marks', 'lose-data', 'stale-replica'],
      probability: 0.3,
    },
    duplicates: { batchProbability: 0.2, replayProbability: 0.2, replayDepth: 200 },
  },
  {
    name: 'top-ups and zero-rated apps while Redis is down (degraded mode)',
    zeroRatedShare: 0.4,
    runOutShare: 0.6,
    changeEvents: {
      perUsageEvent: 0.04,
      staleShare: 0.1,
      topupShare: 0.4,
      zeroRating: true,
      crashProbability: 0.2,
    },
    redis: { faults: ['outage-empty', 'outage-stale', 'flap'], probability: 0.4, downMs: OUTAGE_MS },
  },
  {
    name: 'corrections while Redis loses states and marks, redelivered',
    correctionShare: 0.15,
    runOutShare: 0.6,
    previousPeriodShare: 0.2,
    olderPeriodShare: 0.1,
    changeEvents: { perUsageEvent: 0.02, staleShare: 0.1, redeliveryProbability: 0.2 },
    redis: {
      faults: ['drop-period-states', 'drop-settled-marks', 'lose-data', 'stale-replica'],
      probability: 0.3,
    },
    duplicates: { batchProbability: 0.2, replayProbability: 0.2, replayDepth: 200 },
    crash: { points: USAGE_EVENT_CRASH_POINTS, probability: 0.1 },
  },
  {
    name: 'corrections while Redis is down (degraded mode)',
    correctionShare: 0.15,
    runOutShare: 0.6,
    redis: { faults: ['outage-empty', 'outage-stale', 'flap'], probability: 0.4, downMs: OUTAGE_MS },
    duplicates: { batchProbability: 0.2, replayProbability: 0.2, replayDepth: 200 },
  },
  {
    name: 'members leave while Redis lists them',
    memberRemovals: 12,
    crash: { points: USAGE_EVENT_CRASH_POINTS, probability: 0.1 },
  },
  {
    name: 'combined',
    crash: { points: USAGE_EVENT_CRASH_POINTS, probability: 0.2 },
    dynamo: { faults: ['ambiguous-commit', 'throttling', 'transaction-conflict'], probability: 0.03 },
    redis: {
      faults: [
        'kill-connections',
        'flush-scripts',
        'lose-data',
        'drop-period-states',
        'drop-settled-marks',
        'fail-drops',
        'stale-replica',
        'outage-empty',
        'outage-stale',
        'flap',
      ],
      probability: 0.15,
      outageAt: { points: ['hydrate', 'decide', 'commit'], probability: 0.005 },
    },
    eventBridge: { failingShare: 0.2, throttleProbability: 0.1 },
    duplicates: { batchProbability: 0.1, replayProbability: 0.1, replayDepth: 100 },
    outboxCrashProbability: 0.1,
    previousPeriodShare: 0.2,
    memberRemovals: 6,
    changeEvents: {
      perUsageEvent: 0.03,
      staleShare: 0.1,
      crashProbability: 0.2,
      redeliveryProbability: 0.1,
      topupShare: 0.2,
      zeroRating: true,
    },
    zeroRatedShare: 0.2,
    correctionShare: 0.05,
  },
];

/** Whether the same notification may legitimately reach the bus twice in this scenario. */
export const allowsWireDuplicates = (s: Scenario) => (s.outboxCrashProbability ?? 0) > 0;
