import { defineConfig } from 'vitest/config';
import full from './vitest.config';

/**
 * `npm run test:unit`: test/unit only, without the global setup, so it needs
 * neither Java (DynamoDB Local) nor redis-server and runs in seconds.
 */
export default defineConfig({
  test: { ...full.test, include: ['test/unit/**/*.test.ts'], globalSetup: [], setupFiles: [] },
});
