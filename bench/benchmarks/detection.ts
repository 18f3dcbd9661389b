/**
 * detection: how fast a bad canary loses its traffic. A real agent, the real CLI and
 * real load: deploy a healthy v1, then a v2 whose replicas answer 50% of requests with
 * 500, with a 1 s analysis interval and 1 s gate windows. Measured from the moment the
 * candidate gets traffic (its first `WeightSet` above 0) to its weight returning to 0
 * (the rollback's `WeightSet`), both from the journal, plus the requests that failed
 * in between (from the load generator's failure times).
 */
import type { Benchmark } from "../lib/Benchmark.ts"
import { figure } from "../lib/Figures.ts"
import { eventsOf, LocalDeploySession } from "../lib/LocalDeploy.ts"
import { sleep } from "../lib/Processes.ts"

const INTERVAL_MS = 1_000
const WINDOW_MS = 1_000
const RPS = 100
const CANARY_WEIGHT = 20
const FAULT_ERROR_RATE = 0.5

export const detection: Benchmark = {
  name: "detection",
  title: "detection-to-rollback of a faulty canary (1 s analysis interval)",
  timeoutMs: 180_000,
  run: async (ctx) => {
    const session = new LocalDeploySession(ctx, {
      // A long bake: without detection the candidate would keep its traffic for 20 s.
      steps: [
        { weight: CANARY_WEIGHT, bake: "20s" },
        { weight: 100, bake: 0 },
      ],
      interval: `${INTERVAL_MS}ms`,
      window: `${WINDOW_MS}ms`,
      minRequests: 5,
      maxErrorRate: 0.05,
      replicas: 2,
    })
    const agent = await session.startAgent()
    ctx.log(`agent pid ${agent.pid} on ${agent.proxyUrl}`)
    const stable = await session.deploy({ APP_VERSION: "1" })
    if (stable.finished.code !== 0) throw new Error(`v1 was not deployed: ${stable.finished.stderr}`)
    ctx.log(`v1 serving (${stable.record.candidate.id})`)

    const load = session.startLoad(agent.proxyUrl, RPS, 120)
    await sleep(1_500)
    ctx.log(`deploying v2 with FAULT_ERROR_RATE=${FAULT_ERROR_RATE}`)
    const faulty = await session.deploy({ APP_VERSION: "2", FAULT_ERROR_RATE: String(FAULT_ERROR_RATE) })
    await sleep(500)
    const traffic = await load.stop()
    const stopMs = await session.stopAgent()

    const record = faulty.record
    const candidate = record.candidate.id
    if (faulty.finished.code !== 1 || record.status !== "rolled-back") {
      throw new Error(
        `v2 should have been rolled back; deploy exited ${faulty.finished.code}, ${record.status}`,
      )
    }
    const weights = eventsOf(record, "WeightSet")
    const first = weights.find((w) => w.candidateWeight > 0)
    const back =
      first === undefined ? undefined : weights.find((w) => w.at > first.at && w.candidateWeight === 0)
    if (first === undefined || back === undefined) {
      throw new Error(`the journal has no traffic shift to ${candidate} and back: ${JSON.stringify(weights)}`)
    }
    const failing = eventsOf(record, "GateEvaluated").find(
      (g) => g.at >= first.at && g.verdict._tag === "Fail",
    )
    const detectionMs = back.at - first.at
    ctx.record(
      figure("candidate traffic → weight 0", detectionMs, "ms", {
        reference: { label: "interval + window", value: INTERVAL_MS + WINDOW_MS },
        target: { op: "<=", limit: 2_000 },
      }),
    )
    if (failing !== undefined) {
      ctx.record(figure("candidate traffic → failing verdict", failing.at - first.at, "ms"))
      ctx.record(figure("failing verdict → weight 0", back.at - failing.at, "ms"))
    }
    const during = traffic.failures.filter((f) => f.at >= first.at && f.at <= back.at).length
    const after = traffic.failures.filter((f) => f.at > back.at).length
    ctx.record(figure("failed requests while the candidate had traffic", during, ""))
    ctx.record(figure("failed requests after weight 0 (in flight at the switch)", after, ""))
    ctx.record(
      figure("requests answered by the candidate", traffic.versions["2"] ?? 0, "", {
        reference: { label: "all requests", value: traffic.sent },
      }),
    )
    ctx.record(
      figure("faulty deploy: CLI wall time", faulty.finished.endedAt - faulty.finished.startedAt, "ms"),
    )
    ctx.record(figure("agent start (slipway agent start)", agent.ms, "ms"))
    ctx.record(figure("agent stop (slipway agent stop)", stopMs, "ms"))

    const reason = eventsOf(record, "RolledBack")[0]?.reason ?? record.rollbackReason ?? "?"
    ctx.note(
      `setup: hello-node, 2 replicas per revision, canary ${CANARY_WEIGHT}% with a 20 s bake; gates: requireTraffic(5) ∘ errorRate ≤ 5%, requireTraffic(5) ∘ p95 ≤ 250 ms (windows ${WINDOW_MS} ms), http /healthz; analysis every ${INTERVAL_MS} ms, failureLimit 0`,
    )
    ctx.note(
      `load: scripts/load.ts at ${RPS} req/s, 8 connections, through the agent's proxy; ${traffic.sent} sent, ${traffic.failed} failed in all (statuses ${JSON.stringify(traffic.statuses)})`,
    )
    if (traffic.failures.length >= 200) {
      ctx.note("load.ts keeps the first 200 failures only: the failure counts above are a lower bound")
    }
    ctx.note(`rolled back: ${reason}`)
    ctx.note(
      "times are the journal's event timestamps (the CLI's clock) and load.ts's answer times (same machine clock); a failed request counts when its answer arrived",
    )
  },
}
