import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import {
  type ArtifactRef,
  ArtifactStore,
  Compute,
  Dns,
  makeRevision,
  Packager,
  TrafficRouter,
} from "@slipway/core"
import * as Gate from "@slipway/gates"
import { ProbeTarget } from "@slipway/gates"
import { Duration, Effect, Fiber, Schedule } from "effect"
import { Agent } from "undici"
import { afterAll, beforeAll } from "vitest"
import * as LocalTarget from "../src/LocalTarget.ts"
import { restartBackoff, Supervisor } from "../src/Supervisor.ts"
import { WeightedProxy } from "../src/WeightedProxy.ts"
import { client, countBy, eventually, load, send } from "./support.ts"

const example = fileURLToPath(new URL("../../../examples/hello-node", import.meta.url))
let work: string
let artifact: ArtifactRef

const target = (readyTimeout = 15_000) =>
  LocalTarget.layer({
    stateDir: join(work, "state"),
    supervisor: { readyTimeout, gracePeriod: 5_000, backoff: { initial: 100, max: 1_000 } },
  })

const hello = (config: Record<string, unknown> = {}) =>
  makeRevision({
    app: "hello",
    artifact,
    config: { command: [process.execPath, "server.js"], healthPath: "/healthz", ...config },
  })

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "slipway-supervisor-"))
  cpSync(example, join(work, "app"), { recursive: true, filter: (src) => !src.includes("/dist") })
  // Package the example the way a deployment would, into this suite's own state directory.
  artifact = await Effect.runPromise(
    Effect.gen(function* () {
      const built = yield* (yield* Packager).package({
        app: "hello",
        path: join(work, "app"),
        build: `"${process.execPath}" build.mjs`,
        output: "dist",
      })
      return yield* (yield* ArtifactStore).put(built)
    }).pipe(Effect.provide(target())),
  )
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe("Supervisor", () => {
  it.effect("backs off restarts exponentially up to a cap", () =>
    Effect.gen(function* () {
      const step = yield* Schedule.toStep(restartBackoff(100, 1_000))
      const delays: Array<number> = []
      for (let i = 0; i < 6; i++) {
        const [, delay] = yield* step(0, undefined)
        delays.push(Duration.toMillis(delay))
      }
      assert.deepStrictEqual(delays, [100, 200, 400, 800, 1_000, 1_000])
    }),
  )

  it.live("runs replicas on their own ports behind the proxy, at a stable local address", () =>
    Effect.gen(function* () {
      const revision = hello({ env: { APP_VERSION: "2.1.0" } })
      const health = yield* (yield* Compute).ensure(revision, 2)
      assert.deepStrictEqual(health, { revision: revision.id, desired: 2, ready: 2, restarts: 0 })
      const [status] = yield* (yield* Supervisor).status
      const ports = status!.replicas.map((r) => r.port)
      assert.strictEqual(new Set(ports).size, 2)

      yield* (yield* TrafficRouter).setWeights("hello", { [revision.id]: 100 })
      const url = yield* (yield* Dns).ensure("hello")
      const proxy = yield* WeightedProxy
      assert.strictEqual(url, `http://hello.localhost:${proxy.port}`)
      const agent = yield* client
      const replies = yield* load(agent, `${proxy.url}/hi`, {
        total: 20,
        concurrency: 2,
        host: new URL(url).host,
      })
      assert.deepStrictEqual(
        countBy(replies, (r) => `${r.status} ${JSON.parse(r.body).version}`),
        { "200 2.1.0": 20 },
      )
      assert.deepStrictEqual(
        countBy(replies, (r) => JSON.parse(r.body).replica),
        { "1": 10, "2": 10 },
      )

      // Probes reach a replica directly, whatever its weight.
      const direct = yield* LocalTarget.revisionAddress(revision.id)
      assert.include(
        ports.map((p) => `http://127.0.0.1:${p}`),
        direct,
      )
      // The gates' HTTP probe reaches the revision through the local ProbeTarget.
      assert.include(
        ports.map((p) => `http://127.0.0.1:${p}`),
        yield* (yield* ProbeTarget).resolve(revision),
      )
      const verdict = yield* Gate.http("/healthz").check({
        app: "hello",
        candidate: revision,
        stable: null,
        candidateWeight: 100,
        stepIndex: 0,
      })
      assert.strictEqual(verdict._tag, "Pass")

      // ensure is idempotent.
      assert.strictEqual((yield* (yield* Compute).ensure(revision, 2)).ready, 2)

      // Scaling down stops the highest replica and takes it out of the routing table.
      yield* (yield* Compute).scale(revision.id, 1)
      const [scaled] = yield* (yield* Supervisor).status
      assert.deepStrictEqual(
        scaled!.replicas.map((r) => [r.index, r.state]),
        [[1, "ready"]],
      )
      const routes = yield* proxy.routes
      assert.deepStrictEqual(routes[0]!.revisions[0]!.replicas, [`127.0.0.1:${ports[0]}`])
    }).pipe(Effect.provide(target())),
  )

  it.live("restarts a replica killed with SIGKILL, counts the restart, and fails no request meanwhile", () =>
    Effect.gen(function* () {
      const compute = yield* Compute
      const revision = hello()
      yield* compute.ensure(revision, 2)
      yield* (yield* TrafficRouter).setWeights("hello", { [revision.id]: 100 })
      const [before] = yield* (yield* Supervisor).status
      const victim = before!.replicas[0]!
      const proxy = yield* WeightedProxy
      const agent = yield* client

      const replies = yield* load(agent, `${proxy.url}/`, {
        total: 300,
        concurrency: 4,
        onProgress: (done) => done === 50 && process.kill(victim.pid!, "SIGKILL"),
      })
      assert.deepStrictEqual(
        countBy(replies, (r) => String(r.status)),
        { "200": 300 },
      )

      const recovered = yield* eventually(
        Effect.map(compute.health(revision.id), (h) => h.restarts === 1 && h.ready === 2),
      )
      assert.isTrue(recovered, "the killed replica came back")
      const health = yield* compute.health(revision.id)
      assert.strictEqual(health.lastError, `replica 1 of ${revision.id} was killed by SIGKILL`)
      const [after] = yield* (yield* Supervisor).status
      assert.notStrictEqual(after!.replicas[0]!.pid, victim.pid)
      assert.strictEqual(after!.replicas[0]!.restarts, 1)
      assert.strictEqual(after!.replicas[1]!.restarts, 0)
    }).pipe(Effect.provide(target())),
  )

  it.live("fails ensure with the replica's state and log tail when the app never becomes healthy", () =>
    Effect.gen(function* () {
      const revision = hello({ env: { FAULT_UNHEALTHY: "1" } })
      const error = yield* Effect.flip((yield* Compute).ensure(revision, 1))
      assert.strictEqual(error._tag, "ComputeError")
      assert.strictEqual(error.revision, revision.id)
      assert.include(error.message, "0 of 1 replica(s) ready — not ready within 1.5s")
      assert.include(error.message, "GET /healthz on port")
      assert.include(error.message, "returned 503 (expected 2xx)")
      assert.include(error.message, "| hello-node 1.0.0 listening on http://127.0.0.1:")
      assert.include(error.message, join("logs", revision.id, "replica-1.log"))
    }).pipe(Effect.provide(target(1_500))),
  )

  it.live("gives up early on a crash loop and quotes the app's error", () =>
    Effect.gen(function* () {
      const revision = hello({
        command: [process.execPath, "-e", "console.error('Error: boom'); process.exit(3)"],
      })
      const error = yield* Effect.flip((yield* Compute).ensure(revision, 1))
      assert.include(error.message, "replica 1 crashed 3 times before becoming ready")
      assert.include(error.message, `replica 1 of ${revision.id} exited with code 3: Error: boom`)
      const health = yield* (yield* Compute).health(revision.id)
      assert.strictEqual(health.ready, 0)
      assert.isAtLeast(health.restarts, 3)
    }).pipe(Effect.provide(target())),
  )

  it.live("names the config field when the revision cannot run here", () =>
    Effect.gen(function* () {
      const compute = yield* Compute
      const noCommand = makeRevision({ app: "hello", artifact, config: { healthPath: "/healthz" } })
      const error = yield* Effect.flip(compute.ensure(noCommand, 1))
      assert.include(error.message, "command")
      const pinned = yield* Effect.flip(compute.ensure(hello({ port: 45_999 }), 2))
      assert.include(pinned.message, "remove config.port")
      const unknown = yield* Effect.flip(compute.scale("hello-000000000000", 1))
      assert.include(unknown.message, "call ensure(revision, replicas) first")
    }).pipe(Effect.provide(target())),
  )

  it.live("stops gracefully: drains the in-flight request, then SIGTERM, and the process exits 0", () =>
    Effect.gen(function* () {
      const compute = yield* Compute
      const revision = hello({ env: { FAULT_LATENCY_MS: "700" } })
      yield* compute.ensure(revision, 1)
      yield* (yield* TrafficRouter).setWeights("hello", { [revision.id]: 100 })
      const proxy = yield* WeightedProxy
      const agent = yield* client
      const [status] = yield* (yield* Supervisor).status
      const logFile = status!.replicas[0]!.logFile

      const slow = yield* Effect.promise(() => send(agent, `${proxy.url}/slow`)).pipe(Effect.forkChild)
      const inFlight = yield* eventually(
        Effect.map(proxy.routes, (apps) => apps[0]!.revisions[0]!.inflight === 1),
        100,
        10,
      )
      assert.isTrue(inFlight, "the slow request reached the replica")
      yield* compute.scale(revision.id, 0)

      const reply = yield* Fiber.join(slow)
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(JSON.parse(reply.body).path, "/slow")
      // Once `scale` returns, the replica's log is complete on disk: no waiting for it.
      const log = readFileSync(logFile, "utf8")
      assert.include(log, "SIGTERM received")
      assert.include(log, "stopped: exited with code 0")
      assert.notInclude(log, "SIGKILL")
      assert.deepStrictEqual(yield* compute.health(revision.id), {
        revision: revision.id,
        desired: 0,
        ready: 0,
        restarts: 0,
      })
    }).pipe(Effect.provide(target())),
  )

  it.live("hello-node itself finishes in-flight requests when it receives SIGTERM", () =>
    Effect.gen(function* () {
      const revision = hello({ env: { FAULT_LATENCY_MS: "500" } })
      yield* (yield* Compute).ensure(revision, 1)
      const direct = yield* LocalTarget.revisionAddress(revision.id)
      const [status] = yield* (yield* Supervisor).status
      // Its own client: the test hangs up on the app below (closing is final for an Agent).
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Agent()),
        (a) => Effect.promise(() => a.destroy()),
      )
      const slow = yield* Effect.promise(() => send(agent, `${direct}/work`)).pipe(Effect.forkChild)
      const started = yield* eventually(
        Effect.promise(() => send(agent, `${direct}/healthz`)).pipe(
          Effect.map((r) => JSON.parse(r.body).inflight === 1),
        ),
        100,
        10,
      )
      assert.isTrue(started, "the app is working on the request")
      process.kill(status!.replicas[0]!.pid!, "SIGTERM")
      const reply = yield* Fiber.join(slow)
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(JSON.parse(reply.body).path, "/work")
      // Hanging up the client's keep-alive connections lets the app finish draining and exit.
      // The exit happens on the app's schedule; once the supervisor reports it, the app's
      // last lines are already in the log file.
      yield* Effect.promise(() => agent.close())
      const compute = yield* Compute
      const reported = yield* eventually(
        Effect.map(compute.health(revision.id), (h) => h.lastError?.includes("exited with code 0") === true),
      )
      assert.isTrue(reported, "the supervisor reports the clean exit")
      const logFile = status!.replicas[0]!.logFile
      assert.include(readFileSync(logFile, "utf8"), "SIGTERM received: draining 1 in-flight request(s)")
    }).pipe(Effect.provide(target())),
  )

  it.live("takes a replica that turns unhealthy out of the routing table, and back when it recovers", () =>
    Effect.gen(function* () {
      const sick = join(work, "sick")
      // An app whose health check fails while a marker file exists.
      const script = [
        "const fs = require('node:fs')",
        "require('node:http').createServer((req, res) => {",
        "  const bad = req.url === '/healthz' && fs.existsSync(process.env.SICK_FILE)",
        "  res.writeHead(bad ? 503 : 200).end(process.env.SLIPWAY_REPLICA)",
        "}).listen(process.env.PORT, '127.0.0.1')",
      ].join("\n")
      const revision = hello({ command: [process.execPath, "-e", script], env: { SICK_FILE: sick } })
      const compute = yield* Compute
      yield* compute.ensure(revision, 1)
      const proxy = yield* WeightedProxy
      const inTable = Effect.map(proxy.routes, (apps) => apps[0]?.revisions[0]?.replicas.length === 1)
      assert.isTrue(yield* inTable)

      writeFileSync(sick, "")
      assert.isTrue(yield* eventually(Effect.map(inTable, (yes) => !yes)), "left the table")
      const health = yield* compute.health(revision.id)
      assert.strictEqual(health.ready, 0)
      assert.include(health.lastError, "is unhealthy: GET /healthz returned 503")
      assert.strictEqual(health.restarts, 0)

      rmSync(sick)
      assert.isTrue(yield* eventually(inTable), "back in the table")
      assert.strictEqual((yield* compute.health(revision.id)).ready, 1)
    }).pipe(
      Effect.provide(
        LocalTarget.layer({
          stateDir: join(work, "state"),
          supervisor: { healthInterval: 50, unhealthyThreshold: 2 },
        }),
      ),
    ),
  )
})
