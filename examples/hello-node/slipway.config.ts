// Deploys hello-node to this machine with a canary watched by three gates.
// `slipway deploy` (or `pnpm demo` at the repository root) uses this file.
import * as Gate from "@slipway/gates"
import { canary } from "@slipway/strategies"
import { defineConfig } from "slipway"

export default defineConfig({
  app: "hello",
  build: { command: "node build.mjs", output: "dist" },
  run: { command: ["node", "server.js"], replicas: 2, healthPath: "/healthz" },
  strategy: canary({
    steps: [
      { weight: 10, bake: "8s" },
      { weight: 30, bake: "8s" },
      { weight: 60, bake: "8s" },
      { weight: 100, bake: 0 },
    ],
    analysis: { interval: "3s", failureLimit: 0 },
    scaleDownDelay: "8s",
  }),
  gates: [
    // Judge only with enough requests: a quiet canary is Inconclusive, never failed.
    Gate.requireTraffic(10, { window: "3s" })(Gate.errorRate({ max: 0.05, window: "3s" })),
    Gate.requireTraffic(10, { window: "3s" })(Gate.latency({ percentile: 95, max: 250, window: "3s" })),
    Gate.http("/healthz", { timeout: "2s" }),
  ],
})
