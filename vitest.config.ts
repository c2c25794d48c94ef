import { defineConfig } from 'vitest/config';

const BROKER_TESTS = 'test/kafka/**/*.test.ts';

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
    // `npm test` runs all three; `npm run test:unit` only the first, which needs neither Java nor Redis.
    // A project's global setup runs only when files of that project run: the broker starts only for test/kafka.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'services',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', BROKER_TESTS, '**/node_modules/**', '**/.git/**'],
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/worker-env.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'kafka',
          include: [BROKER_TESTS],
          globalSetup: ['test/helpers/global-setup.ts', 'test/kafka/support/broker-setup.ts'],
          setupFiles: ['test/helpers/worker-env.ts'],
        },
      },
    ],
  },
});
