/**
 * rollout: what a healthy canary costs beyond the waiting it was told to do. A real
 * agent, the real CLI and real load: deploy v1, then a healthy v2 through a 5-step canary
 * (10 → 25 → 50 → 75% with 2 s bakes, then 100%) with gates evaluated every second and
 * after every bake. The overhead is the time spent besides the configured bakes, split
 * into consecutive parts that add up to it — CLI start, build, candidate readiness, the
 * steps themselves, retiring the old revision, exiting — from the CLI's output times and
 * the journal's event times.
 */
import type { Benchmark } from "../lib/Benchmark.ts"
import { figure } from "../lib/Figures.ts"
import { configuredBakes, eventsOf, LocalDeploySession } from "../lib/LocalDeploy.ts"
import { sleep } from "../lib/Processes.ts"

const RPS = 100
const STEPS = [
  { weight: 10, bake: "2s" },
  { weight: 25, bake: "2s" },
  { weight: 50, bake: "2s" },
  { weight: 75, bake: "2s" },
  { weight: 100, bake: 0 },
] as const

// What the CLI prints as a deploy goes (text mode), after "agent pid …".
const BUILDING_LINE = /^building /
const BUILT_LINE = /^(built|unchanged) /

export const rollout: Benchmark = {
  name: "rollout",
  title: "healthy 5-step canary: wall time beyond the configured bakes",
  timeoutMs: 180_000,
  run: async (ctx) => {
    const session = new LocalDeploySession(ctx, {
      steps: STEPS,
      interval: "1s",
      window: "1s",
      minRequests: 5,
      maxErrorRate: 0.05,
      replicas: 2,
    })
    const agent = await session.startAgent()
    ctx.log(`agent pid ${agent.pid} on ${agent.proxyUrl}`)
    const first = await session.deploy({ APP_VERSION: "1" })
    if (first.finished.code !== 0) throw new Error(`v1 was not deployed: ${first.finished.stderr}`)
    const load = session.startLoad(agent.proxyUrl, RPS, 120)
    await sleep(1_500)
    ctx.log("deploying a healthy v2")
    const v2 = await session.deploy({ APP_VERSION: "2" })
    const traffic = await load.stop()
    await session.stopAgent()

    const record = v2.record
    if (v2.finished.code !== 0 || record.status !== "succeeded") {
      throw new Error(
        `v2 should have been promoted; deploy exited ${v2.finished.code}: ${record.rollbackReason}`,
      )
    }
    const started = eventsOf(record, "RolloutStarted")[0]
    const steps = eventsOf(record, "StepStarted")
    const completed = eventsOf(record, "StepCompleted")
    const succeeded = eventsOf(record, "Succeeded")[0]
    if (
      started === undefined ||
      steps[0] === undefined ||
      completed.length === 0 ||
      succeeded === undefined
    ) {
      throw new Error(`the journal's events are incomplete: ${record.events.map((e) => e._tag).join(", ")}`)
    }
    const bakes = configuredBakes(record)
    const waits = bakes + record.strategy.scaleDownDelay
    const { startedAt: spawnedAt, endedAt: exitedAt } = v2.finished
    const wall = exitedAt - spawnedAt
    const lastCompleted = completed.at(-1)!
    const between = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? Number.NaN : b - a

    const overhead = succeeded.at - steps[0].at - waits
    ctx.record(
      figure("rollout overhead (first step → Succeeded, minus bakes)", overhead, "ms", {
        reference: { label: "configured bakes", value: bakes },
        target: { op: "<=", limit: 1_000 },
      }),
    )
    ctx.record(
      figure("end-to-end overhead (CLI wall time minus bakes)", wall - waits, "ms", {
        reference: { label: "configured bakes", value: bakes },
      }),
    )
    ctx.record(
      figure("CLI wall time", wall, "ms", { reference: { label: "configured bakes", value: bakes } }),
    )
    ctx.record(
      figure(
        "· CLI start → build starts (Node, config, agent check)",
        between(spawnedAt, v2.lineAt(BUILDING_LINE)),
        "ms",
      ),
    )
    ctx.record(
      figure(
        "· build (source unchanged: digest + cache hit)",
        between(v2.lineAt(BUILDING_LINE), v2.lineAt(BUILT_LINE)),
        "ms",
      ),
    )
    ctx.record(
      figure(
        "· built → RolloutStarted (journal lock, record)",
        between(v2.lineAt(BUILT_LINE), started.at),
        "ms",
      ),
    )
    ctx.record(figure("· candidate readiness (2 replicas healthy)", steps[0].at - started.at, "ms"))
    ctx.record(figure("· steps, minus bakes", lastCompleted.at - steps[0].at - bakes, "ms"))
    ctx.record(
      figure(
        "· retire v1 (scale to 0) and finish, minus scale-down delay",
        succeeded.at - lastCompleted.at - record.strategy.scaleDownDelay,
        "ms",
      ),
    )
    ctx.record(figure("· Succeeded → CLI exit (report, shutdown)", exitedAt - succeeded.at, "ms"))
    ctx.record(figure("agent start (slipway agent start)", agent.ms, "ms"))
    ctx.record(
      figure(
        "first build (cold: node build.mjs + store)",
        between(first.lineAt(BUILDING_LINE), first.lineAt(BUILT_LINE)),
        "ms",
      ),
    )
    ctx.record(
      figure("first deployment: CLI wall time", first.finished.endedAt - first.finished.startedAt, "ms"),
    )
    ctx.record(figure("gate evaluations during the rollout", eventsOf(record, "GateEvaluated").length, ""))
    ctx.record(figure("failed requests during the rollout", traffic.failed, ""))

    ctx.note(
      `canary ${STEPS.map((s) => `${s.weight}%${s.bake === 0 ? "" : `/${s.bake}`}`).join(" → ")}, scaleDownDelay 0, 2 replicas per revision; gates every 1 s and after each bake: requireTraffic(5) ∘ errorRate ≤ 5%, requireTraffic(5) ∘ p95 ≤ 250 ms, http /healthz`,
    )
    ctx.note(
      `load: scripts/load.ts at ${RPS} req/s through the agent's proxy during v2's rollout: ${traffic.sent} sent, ${traffic.failed} failed, answered by ${JSON.stringify(traffic.versions)}`,
    )
    ctx.note(
      "CLI times are when its lines reached the runner; step times are the journal's events. The CLI runs from TypeScript sources (type stripping at load), as `pnpm demo` does",
    )
  },
}
