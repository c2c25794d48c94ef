/**
 * The test tiers, each runnable alone (`npm run test:<tier>`; kafka runs with
 * slow); `npm test` runs them all. Every folder of tests belongs to one.
 */
export const TIERS = {
  /** No services, seconds. */
  unit: ['test/unit'],
  /** Real Redis and DynamoDB Local: adapters, handlers, the stack, the CLI, properties against the model. */
  integration: ['test/integration', 'test/infra', 'test/cli', 'test/property'],
  /** The chaos suite, `npm start` end to end, a Redis Cluster. */
  slow: ['test/chaos', 'test/e2e', 'test/cluster'],
  /** A real Kafka broker (started only when these run). */
  kafka: ['test/kafka'],
} as const;

export const testsOf = (tier: keyof typeof TIERS) => TIERS[tier].map((folder) => `${folder}/**/*.test.ts`);
