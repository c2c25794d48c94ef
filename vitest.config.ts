import { defineConfig } from 'vitest/config';

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

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: {
      AWS_REGION: 'ap-northeast-2',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    // The tiers above. A project's global setup runs only when files of that project run: the
    // broker starts only for the Kafka tests.
    projects: [
      { extends: true, test: { name: 'unit', include: testsOf('unit') } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: testsOf('integration'),
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/worker-env.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: testsOf('slow'),
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/worker-env.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'kafka',
          include: testsOf('kafka'),
          globalSetup: ['test/helpers/global-setup.ts', 'test/kafka/support/broker-setup.ts'],
          setupFiles: ['test/helpers/worker-env.ts'],
        },
      },
    ],
  },
});
