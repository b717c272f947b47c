import { defineConfig } from 'vitest/config'

// Integration tests spawn real `opencode serve` processes: keep file parallelism modest on 2-core machines.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
})
