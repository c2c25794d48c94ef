/**
 * Key and index names of the two tables. The stack (lib/) creates the tables
 * from these names and the adapters read and write with them.
 *
 * Ledger (single table): families, members and their policies, period usage of
 * families and members, and settlement records. Outbox: one item per
 * notification, with a stream for the relay and a status index for the sweeper.
 */
export const LEDGER_TABLE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /**
   * Families with usage in a period (keys only), for reconciliation. Written on
   * the family period item with values that never change afterwards, so only
   * the first settlement of a family in a period writes to it.
   */
  periodFamiliesIndex: { name: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  /**
   * A member's settlements, newest first, for the usage API: keyed by
   * attributes every settlement record has already (a period is a range of
   * event times in the settlement zone), so the index adds nothing to the
   * records. Rejection records carry no event time and stay out of it; other
   * records under a settlement key that carry both (corrections) are told
   * apart by their type. Only what the API returns is projected, with the
   * family to tell a member's earlier family apart. The stack creates it when
   * its `memberSettlementsIndex` parameter is on: it costs a write unit per
   * settled event (docs/capacity.md).
   */
  memberSettlementsIndex: {
    name: 'GSI3',
    partitionKey: 'customerId',
    sortKey: 'eventTimeMs',
    projected: ['eventId', 'familyId', 'type', 'appId', 'bytesUsed', 'decision', 'correctedBytes'],
  },
  /**
   * Epoch seconds; only settlement and rejection records carry it (core/settlement/retention.ts).
   * Families, members, period items and the change history never expire.
   */
  ttlAttribute: 'expiresAt',
  /**
   * The stream's records carry the item as written (what the archive keeps)
   * and as it was (the live usage snapshots compare a period item's members).
   */
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

export const OUTBOX_TABLE = {
  partitionKey: 'notificationId',
  /** Items by status, ordered by when they are next due: due retries, listing FAILED items. */
  statusIndex: { name: 'status-nextAttemptAt', partitionKey: 'status', sortKey: 'nextAttemptAt' },
  /** Epoch seconds; set when an item is SENT so the table does not grow forever. */
  ttlAttribute: 'expiresAt',
} as const;
