import type { MemberPolicy } from '../family';
import type { CommittedPeriod, UsageSnapshot } from './usage-snapshot';

/** The collaborators of the snapshot path; adapters implement them. */

export interface CommittedStateReader {
  /**
   * The families' periods as a commit left them, with the named members'
   * usage and effective monthly limit under `globalPolicy`. A period with no
   * item is absent.
   */
  read(
    wanted: ReadonlyArray<{
      readonly familyId: number;
      readonly period: string;
      readonly customerIds: ReadonlyArray<number>;
    }>,
    globalPolicy: MemberPolicy,
  ): Promise<CommittedPeriod[]>;
}

export type SnapshotPutResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly permanent: boolean };

export interface SnapshotPublisher {
  /** One result per snapshot, in order; failures are results, not exceptions. */
  publish(snapshots: ReadonlyArray<UsageSnapshot>): Promise<ReadonlyArray<SnapshotPutResult>>;
}
