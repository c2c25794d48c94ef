import type { CrashPoint } from './crash-switch';
import type { DynamoFault } from './dynamodb-faults';

export type RedisFault = 'kill-connections' | 'flush-scripts' | 'lose-data';

/** One fault class, or a combination, applied to one generated workload. */
export interface Scenario {
  readonly name: string;
  /** Per usage-events invocation: chance of dying at one of these points. */
  readonly crash?: { readonly points: ReadonlyArray<CrashPoint>; readonly probability: number };
  readonly dynamo?: { readonly faults: ReadonlyArray<DynamoFault>; readonly probability: number };
  /** Per usage-events invocation: chance of one of these faults hitting Redis while the batch runs. */
  readonly redis?: { readonly faults: ReadonlyArray<RedisFault>; readonly probability: number };
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
}

export const USAGE_EVENT_CRASH_POINTS: ReadonlyArray<CrashPoint> = [
  'after-validation',
  'after-membership',
  'after-script',
  'before-transaction',
  'after-transaction',
  'before-returning',
];

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
    name: 'combined',
    crash: { points: USAGE_EVENT_CRASH_POINTS, probability: 0.2 },
    dynamo: { faults: ['ambiguous-commit', 'throttling', 'transaction-conflict'], probability: 0.03 },
    redis: { faults: ['kill-connections', 'flush-scripts', 'lose-data'], probability: 0.1 },
    eventBridge: { failingShare: 0.2, throttleProbability: 0.1 },
    duplicates: { batchProbability: 0.1, replayProbability: 0.1, replayDepth: 100 },
    outboxCrashProbability: 0.1,
  },
];

/** Whether the same notification may legitimately reach the bus twice in this scenario. */
export const allowsWireDuplicates = (s: Scenario) => (s.outboxCrashProbability ?? 0) > 0;

/** Whether Redis may only converge through reconciliation (it lost writes the ledger has). */
export const needsReconcile = (s: Scenario) => s.redis?.faults.includes('lose-data') === true;
