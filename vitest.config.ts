import { defineConfig } from 'vitest/config'

// Integration tests spawn real `opencode serve` processes: keep file parallelism modest on 2-core machines.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Says up front when tmux or git is missing (the e2e tests need both).
    globalSetup: ['test/support/prerequisites.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
})
