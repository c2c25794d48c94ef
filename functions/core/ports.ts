import { type MemberPolicy, NO_POLICY } from './family';
import type { MskRecord } from './kafka-record';
import type { RejectionReason } from './rejection';

/** The collaborators every capability shares: dead letters, the global default level, the clock. */

export interface DeadLetter {
  /** Stable for a record and its reason, so a letter sent twice can be recognised. */
  readonly letterId: string;
  readonly reason: RejectionReason;
  readonly message: string;
  readonly partitionKey: string;
  readonly record: MskRecord;
  readonly eventId: string | null;
  readonly rejectedAt: string;
  /** For a rejection decided from a family's state (not a member, a conflict): the state's version. */
  readonly decidedAtVersion?: number;
}

export interface DeadLetterQueue {
  /** Sends up to any number of letters; returns those that could not be sent. */
  send(letters: ReadonlyArray<DeadLetter>): Promise<ReadonlyArray<DeadLetter>>;
}

/** The global default level at a revision of the global item. */
export interface GlobalLevel {
  readonly policy: MemberPolicy;
  readonly revision: number;
}

export interface GlobalPolicySource {
  /** The global default level, at most the configured refresh interval old. */
  current(): Promise<GlobalLevel>;
  /** The global default level read now: a family already decided with a newer one than this container holds. */
  refresh(): Promise<GlobalLevel>;
}

const NO_GLOBAL: GlobalLevel = { policy: NO_POLICY, revision: 0 };

/** No global default: every key falls through to "no policy". */
export const noGlobalPolicy: GlobalPolicySource = {
  current: async () => NO_GLOBAL,
  refresh: async () => NO_GLOBAL,
};

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
