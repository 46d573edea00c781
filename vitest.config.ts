import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The AWS SDK's 9-line notice that its 2027 releases need Node 22 (the CLI says it in one line; see bin/portquorum.js).
    // AWS_EC2_METADATA_DISABLED: no test's SDK client may look for credentials at the instance metadata address.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
