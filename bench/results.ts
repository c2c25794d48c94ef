import type { Machine } from './machine';
import type { Shape } from './options';
import type { UsageApiReads } from './usage-api-reads';

/** local: DynamoDB Local and Redis as they are; aws: with the injected per-request latency. */
export type Mode = 'local' | 'aws';

export interface RunResult {
  readonly shape: Shape;
  readonly mode: Mode;
  readonly events: number;
  /** True when the run used the first `events` events of the workload only. */
  readonly prefix: boolean;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly redeliveredRecords: number;
  readonly batchLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly outcome: {
    readonly settled: number;
    /** Dead letters in the queue. */
    readonly rejected: number;
    /** Neither settled nor rejected here: duplicates (the workload has no other event types). */
    readonly duplicates: number;
    readonly notificationsStaged: number;
    readonly familiesCrossing: number;
    readonly familiesRunningOut: number;
  };
  readonly dynamodb: {
    readonly requests: number;
    readonly byOperation: Record<string, number>;
    readonly requestsPerEvent: number;
    readonly cancelledTransactions: number;
    readonly failedRequests: number;
    /** Billing model: 2 x ceil(size / 1 KB) per transactional item, 1 x for standard writes. */
    readonly wcuBilling: number;
    /** As DynamoDB Local reports it (ConsumedCapacity TOTAL); not the AWS bill, see the notes. */
    readonly wcuLocal: number;
    readonly wcuPerSettledBilling: number;
    readonly wcuPerSettledLocal: number;
    /** Billing-model write capacity per event delivered (settled or not): what a million events cost. */
    readonly wcuPerEventBilling: number;
    /** Read capacity, billing model (bench/read-billing.ts), and per event delivered. */
    readonly rcuBilling: number;
    readonly rcuPerEventBilling: number;
    /** Read capacity DynamoDB Local reported, per event delivered; for reference. */
    readonly rcuPerEventLocal: number;
    /** Estimated index (GSI) writes per settled event, on top of the billing-model figure. */
    readonly indexWcuPerSettled: number;
    /** What the dropped settlements index (GSI1) would add per settled event: what dropping it saves. */
    readonly droppedIndexWcuPerSettled: number;
    readonly readBackKeys: number;
    /** Injected latency per request (configured, and the mean actually applied) and DynamoDB Local's own answer time. */
    readonly latencyMs: {
      readonly configured: number;
      readonly realisedMean: number;
      readonly serviceMean: number;
    };
  };
  /** One entry per invocation, in order. */
  readonly batches: ReadonlyArray<BatchFigures>;
  readonly redis: {
    readonly roundTripsPerBatch: { readonly mean: number; readonly max: number };
    readonly commandsPerBatch: number;
    readonly hydrationsPerBatch: number;
    readonly scriptCallsPerBatch: Record<string, number>;
    /** Invocations with more round trips than 3 plus their hydrations (all cache fills from the ledger). */
    readonly batchesOverRoundTripBudget: number;
    /** The same, counting hydrate-period calls only as hydrations. */
    readonly batchesOverCountingFamilyHydrationsOnly: number;
    readonly latencyMs: { readonly configured: number; readonly realisedMean: number };
  };
}

export interface BatchFigures {
  readonly records: number;
  readonly ms: number;
  /** Socket writes of the handler's Redis client: one per pipeline or lone command. */
  readonly redisRoundTrips: number;
  /** TCP chunks those writes arrived in at the proxy. */
  readonly redisChunks: number;
  readonly redisCommands: number;
  readonly redisCommandsByName: Readonly<Record<string, number>>;
  /** Cache fills from the ledger: familyHydrations + memberSetFills + nonMemberEntries. */
  readonly hydrations: number;
  /** hydrate-period script calls. */
  readonly familyHydrations: number;
  /** Member sets filled from the ledger (SADD). */
  readonly memberSetFills: number;
  /** Negative membership entries written (a non-member seen after a ledger lookup). */
  readonly nonMemberEntries: number;
}

export interface BundleResult {
  readonly name: string;
  readonly bundleBytes: number;
  readonly sourceMapBytes: number;
  readonly initMsMedian: number;
  readonly initMsSamples: ReadonlyArray<number>;
  /** Importing only the bundle's external modules (the AWS SDK) in a fresh process: part of the init. */
  readonly externalImportMsMedian: number;
  readonly externals: ReadonlyArray<string>;
}

export interface ColdStartResult {
  readonly note: string;
  readonly bundles: ReadonlyArray<BundleResult>;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean | null;
}

export interface BenchResults {
  readonly workload: Record<string, unknown>;
  readonly machine: Machine;
  readonly revision: { readonly commit: string; readonly uncommittedChanges: boolean } | null;
  /** 1-minute load average at the start and sampled during the runs: other work on the machine skews the figures. */
  readonly loadAverage: { readonly atStart: number; readonly mean: number; readonly max: number };
  readonly takenAt: string;
  /** Families of the workload, those with events, and how many crossed a threshold / ran out (ledger of a full run). */
  readonly workloadShape: {
    readonly families: number;
    readonly activeFamilies: number;
    readonly crossing: number;
    readonly runningOut: number;
  } | null;
  readonly runs: ReadonlyArray<RunResult>;
  readonly ratios: Record<string, number | null>;
  readonly sameTotals: SameTotals;
  /** Product against degraded mode on the same events. */
  readonly degradedSameTotals: SameTotals;
  readonly coldStart: ColdStartResult | { readonly error: string } | null;
  /** The usage API's family usage on the product's ledger with AWS latency; null when not run. */
  readonly usageApi: UsageApiReads | null;
  readonly targets: ReadonlyArray<TargetCheck>;
  readonly notes: ReadonlyArray<string>;
}

export interface SameTotals {
  readonly compared: string | null;
  readonly same: boolean | null;
  readonly differences: string[];
}
