/**
 * CloudWatch metric names and namespace, used by the functions (Powertools
 * metrics) and by the stack (dashboard widgets and alarms). One list, so a
 * dashboard can never chart a metric the code stopped emitting.
 */
export const METRIC_NAMESPACE = 'UsageSettlement';
export const SERVICE_NAME = 'usage-settlement';

export const METRIC = {
  eventsReceived: 'EventsReceived',
  eventsSettled: 'EventsSettled',
  eventsDuplicate: 'EventsDuplicate',
  eventsRejected: 'EventsRejected',
  eventsSkipped: 'EventsSkipped',
  /** Corrections of settled usage the ledger applied, and those a newer correction had made moot. */
  correctionsApplied: 'CorrectionsApplied',
  correctionsSuperseded: 'CorrectionsSuperseded',
  notificationsStaged: 'NotificationsStaged',
  hydrations: 'RedisHydrations',
  ledgerChecks: 'LedgerChecks',
  staleStates: 'StaleStates',
  globalChangesTaken: 'GlobalChangesTaken',
  settlementTransactions: 'SettlementTransactions',
  degradedDecisions: 'DegradedDecisions',
  degradedBatches: 'DegradedBatches',
  degradedModeSeconds: 'DegradedModeSeconds',
  transientRetries: 'TransientRetries',
  batchItemFailures: 'BatchItemFailures',
  settlementBugs: 'SettlementBugs',
  batchDuration: 'BatchDurationMs',
  /** Kafka record timestamp to the ledger's commit answer, one value per settled event: the promise's measure. */
  decisionLatency: 'DecisionLatencyMs',
  usageSnapshotsPublished: 'UsageSnapshotsPublished',
  usageSnapshotsFailed: 'UsageSnapshotsFailed',
  usageSnapshotsSuperseded: 'UsageSnapshotsSuperseded',
  usageSnapshotLatency: 'UsageSnapshotCommitToPublishMs',
  /** Settlement and rejection records the archiver delivered to the archive, and those it could not (redelivered). */
  fatesArchived: 'FatesArchived',
  fatesArchiveFailed: 'FatesArchiveFailed',
  notificationsPublished: 'NotificationsPublished',
  notificationsPublishFailed: 'NotificationsPublishFailed',
  notificationsFailed: 'NotificationsFailed',
  changeEventsReceived: 'ChangeEventsReceived',
  changesApplied: 'ChangesApplied',
  changesStale: 'ChangesStale',
  changeEventsRejected: 'ChangeEventsRejected',
  changeEventsSkipped: 'ChangeEventsSkipped',
  changesRedisNotUpdated: 'ChangesRedisNotUpdated',
  changesHeld: 'ChangesHeld',
  heldChangesReleased: 'HeldChangesReleased',
  heldChangesExpired: 'HeldChangesExpired',
  outboxPending: 'OutboxPending',
  outboxOldestPendingAge: 'OutboxOldestPendingAgeSeconds',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Dimension names for the few metrics that are split by a bounded value. */
export const DIMENSION = {
  decision: 'Decision',
  reason: 'Reason',
  eventType: 'EventType',
} as const;
