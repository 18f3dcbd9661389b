/**
 * Against a real HAProxy, when one is installed: a loopback frontend over a backend of two
 * slots, weights driven through the runtime API, 200 requests, the split and the metrics.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { MetricSource, TrafficRouter } from "@slipway/core"
import { Effect, Layer, Schedule } from "effect"
import * as HAProxyMetricSource from "../../src/haproxy/HAProxyMetricSource.ts"
import { make } from "../../src/haproxy/HAProxyRuntime.ts"
import * as HAProxyTrafficRouter from "../../src/haproxy/HAProxyTrafficRouter.ts"
import { freePort } from "../../src/Ports.ts"
import { client, countBy, load, namedUpstream } from "../support.ts"

const installed = spawnSync("haproxy", ["-v"], { encoding: "utf8", timeout: 5_000 }).status === 0
if (!installed) console.info("haproxy is not on PATH: skipping the HAProxy integration test")

const BLUE = "hello-3f9c2a7b1d0e"
const GREEN = "hello-9d41e0c2aa17"

/** HAProxy in the foreground with its config and admin socket in a temp dir; stopped by the scope. */
const haproxy = (port: number, blue: string, green: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), "slipway-haproxy-it-"))
      const socket = join(dir, "admin.sock")
      const config = join(dir, "haproxy.cfg")
      writeFileSync(
        config,
        [
          "global",
          "  nbthread 1",
          `  stats socket ${socket} mode 600 level admin`,
          "defaults",
          "  mode http",
          "  timeout connect 5s",
          "  timeout client 10s",
          "  timeout server 10s",
          "frontend web",
          `  bind 127.0.0.1:${port}`,
          "  default_backend app",
          "backend app",
          "  balance roundrobin",
          `  server blue1 ${blue} weight 100`,
          `  server green1 ${green} weight 0`,
          "",
        ].join("\n"),
      )
      const child: ChildProcess = spawn("haproxy", ["-db", "-f", config], {
        stdio: ["ignore", "ignore", "pipe"],
      })
      return { dir, socket, child }
    }),
    ({ dir, child }) =>
      Effect.callback<void>((resume) => {
        const done = () => {
          clearTimeout(kill)
          rmSync(dir, { recursive: true, force: true })
          resume(Effect.void)
        }
        const kill = setTimeout(() => child.kill("SIGKILL"), 3_000)
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once("exit", done)
        child.kill("SIGTERM")
      }),
  ).pipe(
    Effect.tap(({ socket }) =>
      // Bounded wait for the runtime API: 100 × 50 ms.
      make(socket, { timeout: "1s" })
        .command("show info")
        .pipe(Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 100 })),
    ),
  )

describe("HAProxy on this host (integration)", () => {
  it.live.skipIf(!installed)(
    "routes 200 requests 80/20 by runtime API weights and reads the split back as metrics",
    () =>
      Effect.gen(function* () {
        const a = yield* namedUpstream("blue")
        const b = yield* namedUpstream("green")
        const port = yield* freePort()
        const { socket } = yield* haproxy(port, a.address, b.address)
        const backend = {
          socket,
          backend: "app",
          app: "hello",
          servers: { [BLUE]: ["blue1"], [GREEN]: ["green1"] },
        }
        const layer = Layer.mergeAll(
          HAProxyTrafficRouter.layer(backend),
          HAProxyMetricSource.layer({ ...backend, interval: "100 millis" }),
        )
        yield* Effect.gen(function* () {
          const router = yield* TrafficRouter
          const metrics = yield* MetricSource

          yield* router.setWeights("hello", { [BLUE]: 80, [GREEN]: 20 })
          assert.deepStrictEqual(yield* router.weights("hello"), { [BLUE]: 80, [GREEN]: 20 })

          const agent = yield* client
          const replies = yield* load(agent, `http://127.0.0.1:${port}/`, { total: 200, concurrency: 4 })
          const byName = countBy(replies, (r) =>
            r.status === 200 ? (JSON.parse(r.body) as { name: string }).name : `status ${r.status}`,
          )
          assert.strictEqual((byName.blue ?? 0) + (byName.green ?? 0), 200, JSON.stringify(byName))
          // HAProxy's weighted round robin: 160/40, give or take its interleaving under concurrency.
          assert.approximately(byName.green ?? 0, 40, 6, JSON.stringify(byName))

          // Bounded wait (≤ 5 s) for a sample taken after the last response.
          const seen = (revision: string) =>
            metrics
              .query({ app: "hello", revision, metric: "requests", window: 60_000 })
              .pipe(Effect.map((r) => r.value))
          yield* seen(GREEN).pipe(
            Effect.filterOrFail(
              (n) => n === (byName.green ?? 0),
              () => new Error("not sampled yet"),
            ),
            Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 }),
          )
          assert.strictEqual(yield* seen(BLUE), byName.blue ?? 0)
          const rate = yield* metrics.query({
            app: "hello",
            revision: GREEN,
            metric: "error_rate",
            window: 60_000,
          })
          assert.deepStrictEqual([rate.value, rate.count], [0, byName.green ?? 0])
          assert.strictEqual(
            (yield* metrics.query({ app: "hello", revision: GREEN, metric: "requests_2xx", window: 60_000 }))
              .value,
            byName.green ?? 0,
          )

          yield* router.setWeights("hello", { [GREEN]: 100 })
          assert.deepStrictEqual(yield* router.weights("hello"), { [BLUE]: 0, [GREEN]: 100 })
          const after = yield* load(agent, `http://127.0.0.1:${port}/`, { total: 20, concurrency: 2 })
          assert.deepStrictEqual(
            countBy(after, (r) => (JSON.parse(r.body) as { name: string }).name),
            { green: 20 },
          )
        }).pipe(Effect.provide(layer))
      }),
  )
})
