import { defineConfig } from 'vitest/config';
import { testsOf } from './test/tiers';

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
    // The tiers of test/tiers.ts. A project's global setup runs only when files of that project run: the
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
