/**
 * Environment variable names shared by the stack (lib/, which sets them) and the
 * functions (which read them through loadConfig), so the two cannot drift.
 */
export const ENV = {
  ledgerTable: 'LEDGER_TABLE_NAME',
  outboxTable: 'OUTBOX_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  eventBusName: 'EVENT_BUS_NAME',
  notificationSource: 'NOTIFICATION_SOURCE',
  notificationLocale: 'NOTIFICATION_LOCALE',
  redisUrl: 'REDIS_URL',
  redisCluster: 'REDIS_CLUSTER',
  redisKeyPrefix: 'REDIS_KEY_PREFIX',
  redisAuthSecretArn: 'REDIS_AUTH_SECRET_ARN',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  sqsEndpoint: 'SQS_ENDPOINT',
  eventBridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
  settlementTimeZone: 'SETTLEMENT_TIME_ZONE',
  futureSkewSeconds: 'FUTURE_SKEW_SECONDS',
  maxBytesPerEvent: 'MAX_BYTES_PER_EVENT',
  dedupWindowSeconds: 'DEDUP_WINDOW_SECONDS',
  clockMarginSeconds: 'CLOCK_MARGIN_SECONDS',
  globalPolicyRefreshSeconds: 'GLOBAL_POLICY_REFRESH_SECONDS',
  familyConcurrency: 'FAMILY_CONCURRENCY',
  degradedMode: 'DEGRADED_MODE',
  redisBreakerFailures: 'REDIS_BREAKER_FAILURES',
  redisBreakerCooldownSeconds: 'REDIS_BREAKER_COOLDOWN_SECONDS',
  reportBatchItemFailures: 'REPORT_BATCH_ITEM_FAILURES',
  retryMaxAttempts: 'RETRY_MAX_ATTEMPTS',
  retryBaseDelayMs: 'RETRY_BASE_DELAY_MS',
  outboxMaxAttempts: 'OUTBOX_MAX_ATTEMPTS',
  outboxBackoffBaseSeconds: 'OUTBOX_BACKOFF_BASE_SECONDS',
  outboxBackoffCapSeconds: 'OUTBOX_BACKOFF_CAP_SECONDS',
  outboxGraceSeconds: 'OUTBOX_GRACE_SECONDS',
  outboxLeaseSeconds: 'OUTBOX_LEASE_SECONDS',
  outboxSentRetentionDays: 'OUTBOX_SENT_RETENTION_DAYS',
  sweeperSafetyMarginMs: 'SWEEPER_SAFETY_MARGIN_MS',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  traceEnabled: 'POWERTOOLS_TRACE_ENABLED',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
