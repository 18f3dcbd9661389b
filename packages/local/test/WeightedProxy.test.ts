import { createHash } from "node:crypto"
import { request as httpRequest } from "node:http"
import { Readable } from "node:stream"
import { assert, describe, it } from "@effect/vitest"
import { MetricSource, TrafficRouter } from "@slipway/core"
import { parsePrometheusText } from "@slipway/gates"
import { Effect, Layer, Result } from "effect"
import { request } from "undici"
import { AdminServer } from "../src/AdminServer.ts"
import * as LocalMetricSource from "../src/LocalMetricSource.ts"
import * as LocalTrafficRouter from "../src/LocalTrafficRouter.ts"
import { freePort } from "../src/Ports.ts"
import { WeightedProxy } from "../src/WeightedProxy.ts"
import { client, countBy, load, namedUpstream, parsePrometheus, readAll, send, upstream } from "./support.ts"

const proxyLayer = Layer.mergeAll(
  LocalTrafficRouter.layer,
  LocalMetricSource.layer,
  AdminServer.layer(),
).pipe(Layer.provideMerge(WeightedProxy.layer()))

const nameOf = (body: string): string => (JSON.parse(body) as { name: string }).name

describe("WeightedProxy", () => {
  it.live("splits 1000 requests 80/20 between two revisions", () =>
    Effect.gen(function* () {
      const a = yield* namedUpstream("a")
      const b = yield* namedUpstream("b")
      const agent = yield* client
      const proxy = yield* WeightedProxy
      yield* proxy.setReplicas("hello", "hello-a", [a.address])
      yield* proxy.setReplicas("hello", "hello-b", [b.address])
      yield* (yield* TrafficRouter).setWeights("hello", { "hello-a": 80, "hello-b": 20 })

      const replies = yield* load(agent, `${proxy.url}/`, { total: 1000, concurrency: 16 })
      assert.deepStrictEqual(
        countBy(replies, (r) => String(r.status)),
        { "200": 1000 },
      )
      // Smooth weighted round robin is exact for a multiple of the weight sum.
      assert.deepStrictEqual(
        countBy(replies, (r) => nameOf(r.body)),
        { a: 800, b: 200 },
      )
      assert.deepStrictEqual(
        countBy(replies, (r) => r.revision ?? "none"),
        { "hello-a": 800, "hello-b": 200 },
      )
      assert.deepStrictEqual(yield* (yield* TrafficRouter).weights("hello"), { "hello-a": 80, "hello-b": 20 })
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("switches weights and removes a revision under concurrent load without dropping a request", () =>
    Effect.gen(function* () {
      // Requests to /hold on revision a wait until the test lets them go, so some are
      // certainly in flight on a when it loses its weight and leaves the table.
      let releaseHeld: () => void = () => undefined
      const held = new Promise<void>((resolve) => {
        releaseHeld = resolve
      })
      const a = yield* upstream((req, res) => {
        req.resume()
        const answer = () => res.end(JSON.stringify({ name: "a" }))
        if (req.url === "/hold") void held.then(answer)
        else setTimeout(answer, 5)
      })
      const b = yield* namedUpstream("b", 5)
      const agent = yield* client
      const proxy = yield* WeightedProxy
      yield* proxy.setReplicas("hello", "hello-a", [a.address])
      yield* proxy.setReplicas("hello", "hello-b", [b.address])
      yield* proxy.setWeights("hello", { "hello-a": 100, "hello-b": 0 })

      const heldReplies = Promise.all(Array.from({ length: 5 }, () => send(agent, `${proxy.url}/hold`)))
      let inflightOnRemoved = -1
      let drainedBeforeRelease = false
      let releasedYet = false
      let sentBeforeSwitch = 0
      const replies = yield* load(agent, `${proxy.url}/`, {
        total: 600,
        concurrency: 16,
        onProgress: (done, sent) => {
          if (done === 200) {
            sentBeforeSwitch = sent
            Effect.runSync(proxy.setWeights("hello", { "hello-a": 0, "hello-b": 100 }))
            const routes = Effect.runSync(proxy.routes)
            inflightOnRemoved = routes[0]!.revisions.find((r) => r.revision === "hello-a")!.inflight
            Effect.runSync(proxy.removeRevision("hello", "hello-a"))
            void Effect.runPromise(proxy.awaitDrained(a.address)).then(() => {
              drainedBeforeRelease = !releasedYet
            })
          }
          if (done === 400) {
            releasedYet = true
            releaseHeld()
          }
        },
      })
      assert.isAtLeast(inflightOnRemoved, 5, "the held requests were in flight on the removed revision")
      assert.deepStrictEqual(
        countBy(replies, (r) => String(r.status)),
        { "200": 600 },
      )
      assert.deepStrictEqual(
        (yield* Effect.promise(() => heldReplies)).map((r) => [r.status, nameOf(r.body)]),
        Array.from({ length: 5 }, () => [200, "a"]),
      )
      const names = replies.map((r) => nameOf(r.body))
      assert.isAtLeast(names.filter((n) => n === "a").length, 200)
      // Every request sent after the switch went to b.
      const after = replies.filter((r) => r.seq > sentBeforeSwitch)
      assert.deepStrictEqual(
        countBy(after, (r) => nameOf(r.body)),
        { b: 600 - sentBeforeSwitch },
      )
      // The removed revision was drained only once its held requests had finished.
      yield* proxy.awaitDrained(a.address)
      assert.isFalse(drainedBeforeRelease)
      const routes = yield* proxy.routes
      assert.deepStrictEqual(
        routes[0]!.revisions.map((r) => r.revision),
        ["hello-b"],
      )
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("retries another replica when one dies mid-load, so clients see no error", () =>
    Effect.gen(function* () {
      const r1 = yield* namedUpstream("r1", 2)
      const r2 = yield* namedUpstream("r2", 2)
      const agent = yield* client
      const proxy = yield* WeightedProxy
      yield* proxy.setReplicas("hello", "hello-a", [r1.address, r2.address])
      yield* proxy.setWeights("hello", { "hello-a": 100 })
      let sentBeforeCrash = 0

      const replies = yield* load(agent, `${proxy.url}/`, {
        total: 400,
        concurrency: 8,
        // The proxy is not told: only connect failures and cut connections reveal the crash.
        onProgress: (done, sent) => {
          if (done !== 100) return
          sentBeforeCrash = sent
          r1.crash()
        },
      })
      assert.deepStrictEqual(
        countBy(replies, (r) => String(r.status)),
        { "200": 400 },
      )
      assert.isAtLeast(replies.filter((r) => nameOf(r.body) === "r1").length, 40)
      const after = replies.filter((r) => r.seq > sentBeforeCrash)
      assert.deepStrictEqual(
        countBy(after, (r) => nameOf(r.body)),
        { r2: 400 - sentBeforeCrash },
      )
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("streams request and response bodies instead of buffering them", () =>
    Effect.gen(function* () {
      const MiB = 1024 * 1024
      const first = 64 * 1024
      const chunks = 16
      const total = first + chunks * MiB
      let upstreamGotFirstBytes: () => void = () => undefined
      const firstBytesArrived = new Promise<void>((resolve) => {
        upstreamGotFirstBytes = resolve
      })
      let clientGotFirstChunk: () => void = () => undefined
      const firstChunkArrived = new Promise<void>((resolve) => {
        clientGotFirstChunk = resolve
      })

      const echo = yield* upstream((req, res) => {
        if (req.url === "/upload") {
          const hash = createHash("sha256")
          let bytes = 0
          req.on("data", (chunk: Buffer) => {
            bytes += chunk.length
            hash.update(chunk)
            upstreamGotFirstBytes()
          })
          req.on("end", () => res.end(JSON.stringify({ bytes, sha: hash.digest("hex") })))
          return
        }
        // Download: the rest is only written once the client has the first chunk.
        res.writeHead(200, { "content-type": "application/octet-stream" })
        res.write(Buffer.alloc(first, 1))
        void firstChunkArrived.then(async () => {
          for (let i = 0; i < chunks; i++) {
            if (!res.write(Buffer.alloc(MiB, 2))) await new Promise((r) => res.once("drain", r))
          }
          res.end()
        })
      })
      const proxy = yield* WeightedProxy
      yield* proxy.setReplicas("hello", "hello-a", [echo.address])
      yield* proxy.setWeights("hello", { "hello-a": 100 })

      // Upload: the body generator waits for the upstream to see its first bytes before
      // producing the rest — a buffering proxy would deadlock here (and time out).
      const expected = createHash("sha256")
      async function* body() {
        const head = Buffer.alloc(first, 7)
        expected.update(head)
        yield head
        await firstBytesArrived
        for (let i = 0; i < chunks; i++) {
          const chunk = Buffer.alloc(MiB, i)
          expected.update(chunk)
          yield chunk
        }
      }
      const uploaded = yield* Effect.promise(async () => {
        const res = await request(`${proxy.url}/upload`, { method: "POST", body: Readable.from(body()) })
        return JSON.parse(await res.body.text()) as { bytes: number; sha: string }
      }).pipe(Effect.timeout("20 seconds"))
      assert.deepStrictEqual(uploaded, { bytes: total, sha: expected.digest("hex") })

      const downloaded = yield* Effect.promise(async () => {
        const res = await request(`${proxy.url}/download`)
        let bytes = 0
        for await (const chunk of res.body) {
          if (bytes === 0) clientGotFirstChunk()
          bytes += (chunk as Buffer).length
        }
        return bytes
      }).pipe(Effect.timeout("20 seconds"))
      assert.strictEqual(downloaded, total)
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("tunnels a WebSocket upgrade to the chosen replica and back", () =>
    Effect.gen(function* () {
      const seen: Array<Record<string, unknown>> = []
      const ws = yield* upstream((_req, res) => res.end("plain"))
      ws.server.on("upgrade", (req, socket) => {
        seen.push({ ...req.headers })
        const accept = createHash("sha1")
          .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest("base64")
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        )
        // A tiny echo for short masked text frames (enough for this test).
        socket.on("data", (frame: Buffer) => {
          const opcode = frame[0]! & 0x0f
          if (opcode === 0x8) return socket.end()
          const length = frame[1]! & 0x7f
          const mask = frame.subarray(2, 6)
          const payload = Buffer.from(frame.subarray(6, 6 + length).map((byte, i) => byte ^ mask[i % 4]!))
          const reply = Buffer.concat([Buffer.from(`echo: `), payload])
          socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]))
        })
        socket.on("error", () => socket.destroy())
      })
      const proxy = yield* WeightedProxy
      yield* proxy.setReplicas("hello", "hello-a", [ws.address])
      yield* proxy.setWeights("hello", { "hello-a": 100 })

      const echoed = yield* Effect.promise(
        () =>
          new Promise<string>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${proxy.port}/chat`)
            socket.onopen = () => socket.send("hello")
            socket.onmessage = (event) => {
              resolve(String(event.data))
              socket.close()
            }
            socket.onerror = () => reject(new Error("websocket error"))
          }),
      ).pipe(Effect.timeout("10 seconds"))
      assert.strictEqual(echoed, "echo: hello")
      assert.strictEqual(seen.length, 1)
      assert.strictEqual(seen[0]!.upgrade, "websocket")
      assert.strictEqual(seen[0]!["x-forwarded-for"], "127.0.0.1")
      const source = yield* MetricSource
      const requests = yield* source.query({
        app: "hello",
        revision: "hello-a",
        metric: "requests",
        window: 60_000,
      })
      assert.strictEqual(requests.value, 1)
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("adds X-Forwarded-* and strips hop-by-hop headers", () =>
    Effect.gen(function* () {
      const echo = yield* namedUpstream("a")
      const proxy = yield* WeightedProxy
      yield* proxy.setReplicas("hello", "hello-a", [echo.address])
      yield* proxy.setWeights("hello", { "hello-a": 100 })
      const body = yield* Effect.promise(
        () =>
          new Promise<string>((resolve, reject) => {
            const req = httpRequest(
              {
                host: "127.0.0.1",
                port: proxy.port,
                path: "/headers",
                headers: {
                  host: `hello.localhost:${proxy.port}`,
                  connection: "keep-alive, x-hop-secret",
                  "x-hop-secret": "do not forward",
                  "keep-alive": "timeout=5",
                  "x-forwarded-for": "203.0.113.7",
                  "x-end-to-end": "kept",
                },
                agent: false,
              },
              (res) => void readAll(res).then(resolve, reject),
            )
            req.on("error", reject)
            req.end()
          }),
      )
      const headers = (JSON.parse(body) as { headers: Record<string, string> }).headers
      assert.strictEqual(headers["x-forwarded-for"], "203.0.113.7, 127.0.0.1")
      assert.strictEqual(headers["x-forwarded-proto"], "http")
      assert.strictEqual(headers["x-forwarded-host"], `hello.localhost:${proxy.port}`)
      assert.strictEqual(headers.host, `hello.localhost:${proxy.port}`)
      assert.strictEqual(headers["x-end-to-end"], "kept")
      assert.isUndefined(headers["x-hop-secret"])
      assert.isUndefined(headers["keep-alive"])
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("counts requests per revision and status class exactly, with proxy errors as 502", () =>
    Effect.gen(function* () {
      const statuses = yield* upstream((req, res) => {
        const status = Number(/\/status\/(\d+)/.exec(req.url ?? "")?.[1] ?? 200)
        res.writeHead(status, { "content-type": "text/plain" })
        res.end(`status ${status}`)
      })
      const deadPort = yield* freePort()
      const agent = yield* client
      const proxy = yield* WeightedProxy
      const router = yield* TrafficRouter
      yield* proxy.setReplicas("hello", "hello-a", [statuses.address])
      yield* proxy.setReplicas("hello", "hello-dead", [`127.0.0.1:${deadPort}`])
      yield* router.setWeights("hello", { "hello-a": 100, "hello-dead": 0 })

      const plan = [
        ...Array.from({ length: 10 }, () => 200),
        ...Array.from({ length: 2 }, () => 302),
        ...Array.from({ length: 3 }, () => 404),
        ...Array.from({ length: 5 }, () => 503),
      ]
      const replies = yield* Effect.promise(() =>
        Promise.all(plan.map((status) => send(agent, `${proxy.url}/status/${status}`))),
      )
      assert.deepStrictEqual(
        replies.map((r) => r.status),
        plan,
      )
      yield* router.setWeights("hello", { "hello-a": 0, "hello-dead": 100 })
      const dead = yield* Effect.promise(() => Promise.all([1, 2].map(() => send(agent, `${proxy.url}/`))))
      assert.deepStrictEqual(
        dead.map((r) => [r.status, r.revision]),
        [
          [502, "hello-dead"],
          [502, "hello-dead"],
        ],
      )
      assert.include(dead[0]!.body, "ECONNREFUSED")

      const source = yield* MetricSource
      const q = (revision: string, metric: string) =>
        source.query({ app: "hello", revision, metric, window: 60_000 })
      assert.deepStrictEqual(
        [(yield* q("hello-a", "requests")).value, (yield* q("hello-a", "errors")).value],
        [20, 5],
      )
      assert.strictEqual((yield* q("hello-a", "error_rate")).value, 0.25)
      assert.strictEqual((yield* q("hello-dead", "error_rate")).value, 1)
      const samples = (yield* q("hello-a", "latency")).samples!
      assert.strictEqual(samples.length, 20)
      const [p50, p95, p99] = [
        (yield* q("hello-a", "latency_p50")).value!,
        (yield* q("hello-a", "latency_p95")).value!,
        (yield* q("hello-a", "latency_p99")).value!,
      ]
      assert.isTrue(p50 <= p95 && p95 <= p99)
      assert.strictEqual(p99, Math.max(...samples))
      const unknown = yield* Effect.flip(q("hello-a", "cpu"))
      assert.strictEqual(unknown._tag, "MetricError")
      assert.include(unknown.message, "error_rate")

      // Prometheus text on the admin listener only.
      const admin = yield* AdminServer
      const text = yield* Effect.promise(() =>
        request(`${admin.url}/__slipway/metrics`).then((r) => r.body.text()),
      )
      // The gates package's parser (what its Prometheus source reads) accepts it too.
      assert.isTrue(Result.isSuccess(parsePrometheusText(text)))
      const { samples: prom, types } = parsePrometheus(text)
      const value = (name: string, labels: Record<string, string>) =>
        prom.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
          ?.value
      assert.strictEqual(types.slipway_requests_total, "counter")
      assert.deepStrictEqual(
        ["2xx", "3xx", "4xx", "5xx"].map((c) =>
          value("slipway_requests_total", { revision: "hello-a", status_class: c }),
        ),
        [10, 2, 3, 5],
      )
      assert.strictEqual(value("slipway_requests_total", { revision: "hello-dead", status_class: "5xx" }), 2)
      assert.strictEqual(
        value("slipway_request_duration_seconds_bucket", { revision: "hello-a", le: "+Inf" }),
        20,
      )
      assert.strictEqual(value("slipway_request_duration_seconds_count", { revision: "hello-a" }), 20)
      assert.strictEqual(value("slipway_route_weight", { app: "hello", revision: "hello-dead" }), 100)
      const publicPath = yield* Effect.promise(() => send(agent, `${proxy.url}/__slipway/metrics`))
      assert.strictEqual(publicPath.status, 502)
      assert.notInclude(publicPath.body, "slipway_requests_total")
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("routes by <app>.localhost host name and explains what it cannot route", () =>
    Effect.gen(function* () {
      const hello = yield* namedUpstream("hello")
      const shop = yield* namedUpstream("shop")
      const agent = yield* client
      const proxy = yield* WeightedProxy
      yield* proxy.setReplicas("hello", "hello-a", [hello.address])
      yield* proxy.setReplicas("shop", "shop-a", [shop.address])
      yield* proxy.setWeights("hello", { "hello-a": 100 })
      yield* proxy.setWeights("shop", { "shop-a": 100 })
      const via = (host: string) => Effect.promise(() => send(agent, `${proxy.url}/`, { host }))
      assert.strictEqual(nameOf((yield* via(`hello.localhost:${proxy.port}`)).body), "hello")
      assert.strictEqual(nameOf((yield* via(`shop.localhost:${proxy.port}`)).body), "shop")
      const unknown = yield* via("elsewhere.example")
      assert.strictEqual(unknown.status, 404)
      assert.include(unknown.body, "hello, shop")

      yield* proxy.setReplicas("shop", "shop-a", [])
      const empty = yield* via(`shop.localhost:${proxy.port}`)
      assert.strictEqual(empty.status, 503)
      assert.include(empty.body, "no ready replica")
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live("refuses weights that are not whole percents summing to 100", () =>
    Effect.gen(function* () {
      const router = yield* TrafficRouter
      const over = yield* Effect.flip(router.setWeights("hello", { "hello-a": 90, "hello-b": 20 }))
      assert.include(over.message, "sum to 110")
      const fraction = yield* Effect.flip(router.setWeights("hello", { "hello-a": 99.5, "hello-b": 0.5 }))
      assert.include(fraction.message, "whole percent")
      assert.deepStrictEqual(yield* router.weights("hello"), {})
    }).pipe(Effect.provide(proxyLayer)),
  )

  it.live(
    "answers 504 when a replica sends no response head in time, and counts it against the revision",
    () =>
      Effect.gen(function* () {
        // Accepts the request and never answers: only the proxy's deadline ends it.
        const silent = yield* upstream(() => undefined)
        const agent = yield* client
        const proxy = yield* WeightedProxy
        yield* proxy.setReplicas("hello", "hello-a", [silent.address])
        yield* proxy.setWeights("hello", { "hello-a": 100 })
        const started = performance.now()
        const reply = yield* Effect.promise(() => send(agent, `${proxy.url}/slow`))
        const waited = performance.now() - started
        assert.strictEqual(reply.status, 504)
        assert.strictEqual(reply.revision, "hello-a")
        assert.include(reply.body, "no response head within 300 ms")
        // The deadline is checked every half second: never early, and not much later.
        assert.isAtLeast(waited, 300)
        assert.isBelow(waited, 5_000)
        assert.strictEqual(proxy.metrics.get("hello-a")?.statusTotals["5xx"], 1)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(LocalTrafficRouter.layer).pipe(
            Layer.provideMerge(WeightedProxy.layer({ responseHeadTimeout: 300 })),
          ),
        ),
      ),
  )
})
