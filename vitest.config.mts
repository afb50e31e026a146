import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["lib/**/*.test.ts", "db/**/*.test.ts", "bin/**/*.test.ts", "bench/**/*.test.ts", "app/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Cross-process tests spawn real OS processes on a 2-core machine.
    maxWorkers: 2,
  },
});
