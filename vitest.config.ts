import { defineConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources through the "@slipway/source"
// export condition, so tests never need a build first.
export default defineConfig({
  resolve: { conditions: ["@slipway/source"] },
  ssr: { resolve: { conditions: ["@slipway/source"], externalConditions: ["@slipway/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "bench/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    maxWorkers: 2,
  },
})
