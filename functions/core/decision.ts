import type { DecisionStatus } from './decisions';

/**
 * A decision as the settlement script caches it and as the ledger records it.
 * `runId` names the script run that made it, so a ledger record can be matched
 * to the Redis decision it came from.
 */
export interface Decision {
  readonly status: DecisionStatus;
  readonly counted: boolean;
  readonly notify: boolean;
  readonly bytes: number;
  readonly customerId: number;
  readonly payloadHash: string;
  /** Alert markers this decision set (the notified one and any skipped levels). */
  readonly markers: ReadonlyArray<string>;
  readonly runId: string;
}

export type ScriptResult =
  | { readonly kind: 'new'; readonly decision: Decision }
  | { readonly kind: 'duplicate'; readonly decision: Decision }
  | { readonly kind: 'conflict'; readonly decision: Decision }
  | { readonly kind: 'hydrate'; readonly missing: 'family' | 'member' | 'policy' };
