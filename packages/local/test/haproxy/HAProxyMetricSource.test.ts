import { assert, describe, it } from "@effect/vitest"
import { type GateContext, type MetricQuery, MetricSource, makeRevision } from "@slipway/core"
import * as Gate from "@slipway/gates"
import { Effect, Result } from "effect"
import { TestClock } from "effect/testing"
import * as HAProxyMetricSource from "../../src/haproxy/HAProxyMetricSource.ts"
import { fromCommand, HAProxyUnreachable } from "../../src/haproxy/HAProxyRuntime.ts"

const STABLE = makeRevision({ app: "hello", artifact: { digest: "sha256:stable", uri: "file:///a/stable" } })
const CANDIDATE = makeRevision({
  app: "hello",
  artifact: { digest: "sha256:candidate", uri: "file:///a/candidate" },
})

interface Counters {
  hrsp_2xx: number
  hrsp_4xx: number
  hrsp_5xx: number
  rtime: number
}

/**
 * A scripted HAProxy: `show stat` renders the servers' current counters as HAProxy's CSV
 * (through the real parser), the test moves them between samples. Answers are immediate,
 * so samples happen exactly when the TestClock says.
 */
const scripted = () => {
  const servers: Record<string, Counters> = {
    blue1: { hrsp_2xx: 5000, hrsp_4xx: 0, hrsp_5xx: 20, rtime: 8 },
    green1: { hrsp_2xx: 0, hrsp_4xx: 0, hrsp_5xx: 0, rtime: 0 },
    green2: { hrsp_2xx: 0, hrsp_4xx: 0, hrsp_5xx: 0, rtime: 0 },
  }
  const state = { down: false, commands: 0 }
  const runtime = fromCommand("/run/haproxy/admin.sock", (command) => {
    state.commands++
    if (state.down) {
      return Effect.fail(
        new HAProxyUnreachable({
          socket: "/run/haproxy/admin.sock",
          command,
          reason: "connection refused (is HAProxy running?)",
        }),
      )
    }
    const header =
      "# pxname,svname,status,weight,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,rtime,ttime,uweight"
    const rows = Object.entries(servers).map(
      ([name, c]) =>
        `app,${name},UP,50,0,${c.hrsp_2xx},0,${c.hrsp_4xx},${c.hrsp_5xx},0,${c.rtime},${c.rtime + 2},50`,
    )
    return Effect.succeed([header, ...rows, "app,BACKEND,UP,150,0,0,0,0,0,0,0,0,150"].join("\n"))
  })
  const add = (server: string, delta: Partial<Counters>) => {
    const c = servers[server]!
    c.hrsp_2xx += delta.hrsp_2xx ?? 0
    c.hrsp_4xx += delta.hrsp_4xx ?? 0
    c.hrsp_5xx += delta.hrsp_5xx ?? 0
    if (delta.rtime !== undefined) c.rtime = delta.rtime
  }
  return { servers, state, runtime, add }
}

const sourceOver = (runtime: ReturnType<typeof scripted>["runtime"], retention = "10m") =>
  HAProxyMetricSource.layer({
    socket: runtime,
    backend: "app",
    app: "hello",
    servers: { [STABLE.id]: ["blue1"], [CANDIDATE.id]: ["green1", "green2"] },
    interval: "10s",
    retention,
  })

const ask = (revision: string, metric: string, window = 30_000, app = "hello") =>
  Effect.gen(function* () {
    const query: MetricQuery = { app, revision, metric, window }
    return yield* (yield* MetricSource).query(query)
  })

describe("HAProxyMetricSource", () => {
  it.effect("answers error rate and counts by status class over a window from counter deltas", () => {
    const haproxy = scripted()
    return Effect.gen(function* () {
      // First sample at t=0 (HAProxy's lifetime counters are only the baseline).
      const first = yield* ask(CANDIDATE.id, "requests")
      assert.deepStrictEqual([first.value, first.count], [null, 0])
      assert.include(first.query, "(no earlier sample yet)")

      haproxy.add("green1", { hrsp_2xx: 40, hrsp_5xx: 10 })
      haproxy.add("green2", { hrsp_2xx: 50 })
      yield* TestClock.adjust("10 seconds")
      haproxy.add("green1", { hrsp_2xx: 45, hrsp_4xx: 5 })
      haproxy.add("green2", { hrsp_2xx: 50 })
      yield* TestClock.adjust("10 seconds")
      haproxy.add("green1", { hrsp_2xx: 50, hrsp_5xx: 2 })
      haproxy.add("green2", { hrsp_2xx: 48 })
      haproxy.add("blue1", { hrsp_2xx: 300, hrsp_5xx: 3 })
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(haproxy.state.commands, 4)

      const rate = yield* ask(CANDIDATE.id, "error_rate")
      assert.strictEqual(rate.count, 300)
      assert.strictEqual(rate.value, 12 / 300)
      assert.strictEqual(
        rate.query,
        `error_rate{revision="${CANDIDATE.id}"}[30s] = Δhrsp_5xx / Δ(hrsp_1xx…hrsp_5xx + hrsp_other) of backend app servers green1,green2 at /run/haproxy/admin.sock`,
      )
      assert.strictEqual((yield* ask(CANDIDATE.id, "errors")).value, 12)
      assert.strictEqual((yield* ask(CANDIDATE.id, "requests_2xx")).value, 283)
      assert.strictEqual((yield* ask(CANDIDATE.id, "requests_4xx")).value, 5)
      assert.strictEqual((yield* ask(CANDIDATE.id, "requests_1xx")).value, 0)
      assert.strictEqual((yield* ask(CANDIDATE.id, "rps")).value, 10)
      // The last 10 s only; and the stable revision's servers, not the candidate's.
      const recent = yield* ask(CANDIDATE.id, "error_rate", 10_000)
      assert.deepStrictEqual([recent.value, recent.count], [2 / 100, 100])
      const stable = yield* ask(STABLE.id, "error_rate")
      assert.deepStrictEqual([stable.value, stable.count], [3 / 303, 303])
      // A window longer than the samples says how much it covers.
      const long = yield* ask(CANDIDATE.id, "requests", 120_000)
      assert.strictEqual(long.value, 300)
      assert.include(long.query, "(samples cover 30s)")
    }).pipe(Effect.provide(sourceOver(haproxy.runtime)))
  })

  it.effect("a counter reset after an HAProxy reload counts as a restart, never as negative requests", () => {
    const haproxy = scripted()
    return Effect.gen(function* () {
      haproxy.add("green1", { hrsp_2xx: 95, hrsp_5xx: 5 })
      yield* TestClock.adjust("10 seconds")
      // Reload: a new HAProxy process counts from 0, and has served 30 (3 errors) since.
      haproxy.servers.green1 = { hrsp_2xx: 27, hrsp_4xx: 0, hrsp_5xx: 3, rtime: 0 }
      yield* TestClock.adjust("10 seconds")
      haproxy.add("green1", { hrsp_2xx: 20 })
      yield* TestClock.adjust("10 seconds")

      const sinceReload = yield* ask(CANDIDATE.id, "requests", 20_000)
      assert.deepStrictEqual([sinceReload.value, sinceReload.count], [50, 50])
      const all = yield* ask(CANDIDATE.id, "error_rate")
      assert.deepStrictEqual([all.value, all.count], [8 / 150, 150])
    }).pipe(Effect.provide(sourceOver(haproxy.runtime)))
  })

  it.effect("keeps a bounded ring: a window past retention is capped and says so", () => {
    const haproxy = scripted()
    return Effect.gen(function* () {
      for (let i = 0; i < 20; i++) {
        haproxy.add("green1", { hrsp_2xx: 10 })
        yield* TestClock.adjust("10 seconds")
      }
      const r = yield* ask(CANDIDATE.id, "requests", 600_000)
      assert.strictEqual(r.value, 30)
      assert.include(r.query, "[30s]")
      assert.include(r.query, "capped at 30s retention")
    }).pipe(Effect.provide(sourceOver(haproxy.runtime, "30s")))
  })

  it.effect("latency: the mean HAProxy keeps, labelled as such; percentiles refused with the reason", () => {
    const haproxy = scripted()
    return Effect.gen(function* () {
      haproxy.add("green1", { hrsp_2xx: 30, rtime: 40 })
      haproxy.add("green2", { hrsp_2xx: 10, rtime: 80 })
      yield* TestClock.adjust("10 seconds")
      const mean = yield* ask(CANDIDATE.id, "latency_mean")
      assert.deepStrictEqual([mean.value, mean.count], [(30 * 40 + 10 * 80) / 40, 40])
      assert.include(mean.query, "rtime (HAProxy's mean over each server's last 1024 requests")

      for (const metric of ["latency_p95", "latency_p99", "latency"]) {
        const read = yield* Effect.result(ask(CANDIDATE.id, metric))
        assert.isTrue(Result.isFailure(read))
        if (Result.isFailure(read))
          assert.include(read.failure.message, `${metric} is not available from HAProxy`)
      }
      const unknown = yield* Effect.result(ask(CANDIDATE.id, "queue_depth"))
      assert.isTrue(Result.isFailure(unknown) && unknown.failure.message.includes('no metric "queue_depth"'))

      // What a gate makes of it: Inconclusive with HAProxy's reason, never a Pass.
      const context: GateContext = {
        app: "hello",
        candidate: CANDIDATE,
        stable: STABLE,
        candidateWeight: 10,
        stepIndex: 1,
      }
      const p95 = yield* Gate.latency({ percentile: 95, max: 300, window: "30s" }).check(context)
      assert.strictEqual(p95._tag, "Inconclusive")
      assert.include(p95.reason, "not available from HAProxy")
      const errors = yield* Gate.errorRate({ max: 0.01, window: "30s" }).check(context)
      assert.strictEqual(errors._tag, "Pass")
    }).pipe(Effect.provide(sourceOver(haproxy.runtime)))
  })

  it.effect("a failing sample makes queries fail with HAProxy's error until a sample succeeds", () => {
    const haproxy = scripted()
    return Effect.gen(function* () {
      haproxy.state.down = true
      yield* TestClock.adjust("10 seconds")
      const read = yield* Effect.result(ask(CANDIDATE.id, "error_rate"))
      assert.isTrue(Result.isFailure(read))
      if (Result.isFailure(read)) {
        assert.strictEqual(
          read.failure.message,
          'no current sample of HAProxy (the last one failed: HAProxy runtime API at /run/haproxy/admin.sock did not answer "show stat app 4 -1": connection refused (is HAProxy running?))',
        )
      }
      haproxy.state.down = false
      haproxy.add("green1", { hrsp_2xx: 10 })
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* ask(CANDIDATE.id, "requests")).value, 10)
      const other = yield* Effect.result(ask(CANDIDATE.id, "requests", 30_000, "shop"))
      assert.isTrue(Result.isFailure(other) && other.failure.message.includes("serves app hello, not shop"))
    }).pipe(Effect.provide(sourceOver(haproxy.runtime)))
  })
})
