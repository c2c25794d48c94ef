import { configDefaults, defineConfig } from 'vitest/config';

const BROKER_TESTS = 'test/kafka/**/*.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
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
    // A project's global setup runs only when one of its files is queued: the broker starts only for test/kafka.
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, BROKER_TESTS],
        },
      },
      {
        extends: true,
        test: { name: 'kafka', include: [BROKER_TESTS], globalSetup: ['test/kafka/support/broker-setup.ts'] },
      },
    ],
  },
});
