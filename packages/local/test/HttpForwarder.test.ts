/**
 * What one proxied HTTP request goes through: `forwardRequest` over real `Upstream`s
 * (undici pools), against replicas that are either Node servers or raw TCP servers
 * writing exact bytes (to produce split, odd or broken answers).
 */
import { createHash } from "node:crypto"
import { EventEmitter } from "node:events"
import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http"
import { createServer as createTcpServer, type Socket } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { request } from "undici"
import { type ForwardTarget, forwardRequest } from "../src/HttpForwarder.ts"
import { ProxyMetrics, type StatusClass } from "../src/ProxyMetrics.ts"
import { Upstream } from "../src/Upstream.ts"
import { client, readAll, send, upstream } from "./support.ts"

/** A request as a raw replica read it. */
interface RawRequest {
  readonly method: string
  readonly path: string
  /** Header names as sent, in order. */
  readonly names: ReadonlyArray<string>
  /** Lower-cased names → values. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** 1-based position of this request on its connection. */
  readonly onConnection: number
}

/** Resolves once `ready()` holds, checked now and on every `event`; fails after `ms`. */
const until = (emitter: EventEmitter, event: string, ready: () => boolean, ms = 5_000) =>
  Effect.callback<void>((resume) => {
    const check = () => {
      if (!ready()) return
      emitter.off(event, check)
      resume(Effect.void)
    }
    emitter.on(event, check)
    check()
    return Effect.sync(() => void emitter.off(event, check))
  }).pipe(Effect.timeout(ms))

/**
 * A replica that writes raw bytes: `answer` runs once per complete request (head and a
 * `content-length` body). Emits `close` on `events` when a connection closes.
 */
const rawReplica = (answer: (req: RawRequest, socket: Socket) => void) =>
  Effect.acquireRelease(
    Effect.callback<{
      readonly address: string
      readonly events: EventEmitter
      readonly requests: Array<RawRequest>
      readonly sockets: Set<Socket>
      readonly accepted: () => number
      readonly close: () => void
    }>((resume) => {
      const events = new EventEmitter()
      const requests: Array<RawRequest> = []
      const sockets = new Set<Socket>()
      let accepted = 0
      const server = createTcpServer((socket) => {
        accepted += 1
        sockets.add(socket)
        socket.setNoDelay(true)
        socket.on("close", () => {
          sockets.delete(socket)
          events.emit("close")
        })
        socket.on("error", () => socket.destroy())
        let buffered = Buffer.alloc(0)
        let count = 0
        socket.on("data", (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk])
          for (;;) {
            const end = buffered.indexOf("\r\n\r\n")
            if (end < 0) return
            const [line = "", ...fields] = buffered.subarray(0, end).toString("latin1").split("\r\n")
            const names: Array<string> = []
            const headers: Record<string, string> = {}
            for (const f of fields) {
              const colon = f.indexOf(":")
              names.push(f.slice(0, colon))
              headers[f.slice(0, colon).toLowerCase()] = f.slice(colon + 1).trim()
            }
            const length = Number(headers["content-length"] ?? 0)
            if (buffered.length < end + 4 + length) return
            const body = buffered.subarray(end + 4, end + 4 + length).toString("latin1")
            buffered = buffered.subarray(end + 4 + length)
            const [method = "", path = ""] = line.split(" ")
            count += 1
            const req = { method, path, names, headers, body, onConnection: count }
            requests.push(req)
            answer(req, socket)
            if (socket.destroyed) return
          }
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(
          Effect.succeed({
            address: `127.0.0.1:${port}`,
            events,
            requests,
            sockets,
            accepted: () => accepted,
            close: () => {
              server.close()
              for (const s of sockets) s.destroy()
            },
          }),
        )
      })
    }),
    (r) => Effect.sync(() => r.close()),
  )

/** An address nothing listens on (a port that was just bound, then released). */
const refusingAddress = Effect.callback<string>((resume) => {
  const server = createTcpServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(`127.0.0.1:${port}`)))
  })
})

/**
 * A bare HTTP server that forwards every request to the given replicas, tried in order
 * (what the weighted proxy does once it has picked a revision). `observe` sees each
 * client response before the forwarder does.
 */
const forwarding = (
  addresses: ReadonlyArray<string>,
  options: { readonly observe?: (res: ServerResponse) => void; readonly responseHeadTimeout?: number } = {},
) =>
  Effect.acquireRelease(
    Effect.callback<{
      readonly url: string
      readonly metrics: ProxyMetrics
      readonly upstreams: ReadonlyArray<Upstream>
      readonly close: () => void
    }>((resume) => {
      const upstreams = addresses.map((a) => new Upstream(a))
      const metrics = new ProxyMetrics()
      const target: ForwardTarget = {
        app: "hello",
        revision: "hello-a",
        next: (tried) => upstreams.find((u) => !tried.has(u)),
      }
      const server = createServer((req, res) => {
        options.observe?.(res)
        forwardRequest(req, res, target, {
          metrics,
          revisionHeader: true,
          ...(options.responseHeadTimeout === undefined
            ? {}
            : { responseHeadTimeout: options.responseHeadTimeout }),
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${port}`,
            metrics,
            upstreams,
            close: () => {
              server.close()
              server.closeAllConnections()
              for (const u of upstreams) void u.destroy()
            },
          }),
        )
      })
    }),
    (f) => Effect.sync(() => f.close()),
  )

/** Responses the proxy recorded, per status class (only the non-zero ones). */
const recorded = (metrics: ProxyMetrics): Partial<Record<StatusClass, number>> =>
  Object.fromEntries(Object.entries(metrics.get("hello-a")?.statusTotals ?? {}).filter(([, n]) => n > 0))

/** Requests and tunnels in flight on all replicas (the forwarder must release every one). */
const inFlight = (upstreams: ReadonlyArray<Upstream>): number => upstreams.reduce((n, u) => n + u.busy, 0)

const ok = (body: string, extra = ""): string =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n${extra}\r\n${body}`

/** Writes `parts` one per timer tick, so the proxy reads them separately (whatever the timing, the bytes are the same). */
const dribble = (socket: Socket, parts: ReadonlyArray<string>): void => {
  const [first, ...rest] = parts
  if (first === undefined || socket.destroyed) return
  socket.write(first)
  if (rest.length > 0) setTimeout(() => dribble(socket, rest), 5)
}

/** A raw GET through Node's client (to see header case, send any header, or hang up at will). */
const rawGet = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(
    () =>
      new Promise<{ status: number; rawHeaders: ReadonlyArray<string>; body: string }>((resolve, reject) => {
        const req = httpRequest(url, { agent: false, headers }, (res) => {
          void readAll(res).then(
            (body) => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body }),
            reject,
          )
        })
        req.on("error", reject)
        req.end()
      }),
  )

/**
 * A request with a body through Node's client: `content-length` when `length`, else
 * chunked. The chunks after the first are written once `rest` resolves (default: at once).
 */
const upload = (
  url: string,
  method: string,
  chunks: ReadonlyArray<string>,
  length: boolean,
  rest: Promise<unknown> = Promise.resolve(),
) =>
  Effect.promise(
    () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          url,
          {
            method,
            agent: false,
            headers: length ? { "content-length": String(Buffer.byteLength(chunks.join(""))) } : {},
          },
          (res) => void readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject),
        )
        req.on("error", reject)
        const [first = "", ...others] = chunks
        req.write(first)
        void rest.then(() => {
          for (const c of others) req.write(c)
          req.end()
        })
      }),
  )

describe("HttpForwarder", () => {
  it.live("keeps one replica connection alive across sequential requests", () =>
    Effect.gen(function* () {
      const replica = yield* rawReplica((_req, socket) => socket.write(ok("ok")))
      const proxy = yield* forwarding([replica.address])
      const agent = yield* client
      for (let i = 0; i < 10; i++) {
        const reply = yield* Effect.promise(() => send(agent, `${proxy.url}/${i}`))
        assert.deepStrictEqual([reply.status, reply.body, reply.revision], [200, "ok", "hello-a"])
      }
      assert.strictEqual(replica.accepted(), 1)
      assert.deepStrictEqual(
        replica.requests.map((r) => r.path),
        Array.from({ length: 10 }, (_, i) => `/${i}`),
      )
      assert.deepStrictEqual(recorded(proxy.metrics), { "2xx": 10 })
      assert.strictEqual(inFlight(proxy.upstreams), 0)
    }),
  )

  it.live("keeps header case, drops hop-by-hop headers both ways, and sets its own revision header", () =>
    Effect.gen(function* () {
      const replica = yield* rawReplica((_req, socket) =>
        socket.write(
          ok(
            "ok",
            "X-Custom-Case: Kept\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=99, max=7\r\n" +
              "Proxy-Authenticate: Basic\r\nx-slipway-revision: spoofed\r\nX-Slipway-Revision: spoofed-too\r\n",
          ),
        ),
      )
      const proxy = yield* forwarding([replica.address])
      const reply = yield* rawGet(`${proxy.url}/`, {
        "X-Request-Case": "Kept",
        Connection: "keep-alive, X-Private",
        "X-Private": "p",
        TE: "trailers",
        "Proxy-Authorization": "Basic x",
      })
      assert.strictEqual(reply.status, 200)

      const names = reply.rawHeaders.filter((_, i) => i % 2 === 0)
      assert.include(names, "X-Custom-Case")
      const lower = names.map((n) => n.toLowerCase())
      for (const dropped of ["x-secret", "proxy-authenticate"]) assert.notInclude(lower, dropped)
      // Connection and Keep-Alive the client sees are the proxy's own, for its own connection.
      assert.notInclude(reply.rawHeaders, "timeout=99, max=7")
      const revisions = reply.rawHeaders.filter(
        (_, i) => i % 2 === 1 && lower[(i - 1) / 2] === "x-slipway-revision",
      )
      assert.deepStrictEqual(revisions, ["hello-a"])

      const seen = replica.requests[0]!
      assert.include(seen.names, "X-Request-Case")
      for (const dropped of ["x-private", "te", "proxy-authorization"])
        assert.notProperty(seen.headers, dropped)
      assert.strictEqual(seen.headers["x-forwarded-for"], "127.0.0.1")
    }),
  )

  it.live("relays every byte value of small and large bodies unchanged", () =>
    Effect.gen(function* () {
      const small = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
      const large = Buffer.alloc(3 * 1024 * 1024)
      for (let i = 0; i < large.length; i++) large[i] = (i * 7919) % 256
      const binary = yield* upstream((req, res) => {
        req.resume()
        const body = req.url === "/small" ? small : large
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length })
        res.end(body)
      })
      const proxy = yield* forwarding([binary.address])
      const agent = yield* client
      for (const [path, expected] of [
        ["/small", small],
        ["/large", large],
      ] as const) {
        const got = yield* Effect.promise(async () => {
          const res = await request(`${proxy.url}${path}`, { dispatcher: agent })
          return Buffer.from(await res.body.arrayBuffer())
        })
        assert.isTrue(got.equals(expected), path)
      }
    }),
  )

  it.live(
    "relays a chunked response split across reads, without its trailers, and reuses the connection",
    () =>
      Effect.gen(function* () {
        const replica = yield* rawReplica((req, socket) => {
          if (req.path === "/after") return void socket.write(ok("after"))
          // The head, a chunk and the chunk framing are each split over separate writes.
          dribble(socket, [
            "HTTP/1.1 200 OK\r\ntransfer-enc",
            "oding: chunked\r\ntrailer: x-sum\r\n\r\n5;note=1\r\nhel",
            "lo\r\n6\r",
            "\n world\r\n0\r\nx-sum: 11\r\n",
            "\r\n",
          ])
        })
        const proxy = yield* forwarding([replica.address])
        const agent = yield* client
        const res = yield* Effect.promise(() => request(`${proxy.url}/chunked`, { dispatcher: agent }))
        assert.strictEqual(res.statusCode, 200)
        assert.strictEqual(yield* Effect.promise(() => res.body.text()), "hello world")
        assert.isUndefined(res.headers.trailer)
        assert.isUndefined(res.trailers["x-sum"])
        const after = yield* Effect.promise(() => send(agent, `${proxy.url}/after`))
        assert.strictEqual(after.body, "after")
        assert.strictEqual(replica.accepted(), 1)
      }),
  )

  it.live("sends no body for HEAD, 204 and 304 whatever their headers say, and stays in step", () =>
    Effect.gen(function* () {
      const replica = yield* rawReplica((req, socket) => {
        if (req.method === "HEAD") socket.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n")
        else if (req.path === "/204") socket.write("HTTP/1.1 204 No Content\r\n\r\n")
        else if (req.path === "/304") socket.write("HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n")
        else socket.write(ok(`after ${req.path}`))
      })
      const proxy = yield* forwarding([replica.address])
      const agent = yield* client
      const head = yield* Effect.promise(() => send(agent, `${proxy.url}/`, { method: "HEAD" }))
      assert.deepStrictEqual([head.status, head.body], [200, ""])
      for (const path of ["/204", "/304"]) {
        const empty = yield* Effect.promise(() => send(agent, `${proxy.url}${path}`))
        assert.deepStrictEqual([empty.status, empty.body], [Number(path.slice(1)), ""])
        // The next answer on the same connection is read as its own response.
        const next = yield* Effect.promise(() => send(agent, `${proxy.url}/next`))
        assert.strictEqual(next.body, "after /next")
      }
      // Nothing was read as a body: every request reached the replica and was answered in turn.
      // (undici opens a fresh connection after a HEAD answer without an explicit keep-alive
      // and after a 304 announcing a length, rather than trust what follows on that one.)
      assert.deepStrictEqual(
        replica.requests.map((r) => `${r.method} ${r.path}`),
        ["HEAD /", "GET /204", "GET /next", "GET /304", "GET /next"],
      )
      assert.deepStrictEqual(recorded(proxy.metrics), { "2xx": 4, "3xx": 1 })
    }),
  )

  it.live("skips interim 1xx answers and relays the final one", () =>
    Effect.gen(function* () {
      const replica = yield* rawReplica((_req, socket) =>
        dribble(socket, ["HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n", ok("final")]),
      )
      const proxy = yield* forwarding([replica.address])
      const agent = yield* client
      const reply = yield* Effect.promise(() => send(agent, `${proxy.url}/`))
      assert.deepStrictEqual([reply.status, reply.body], [200, "final"])
      assert.deepStrictEqual(recorded(proxy.metrics), { "2xx": 1 })
    }),
  )

  it.live("reads a body that ends when the replica closes, then opens a fresh connection", () =>
    Effect.gen(function* () {
      const replica = yield* rawReplica((req, socket) => {
        if (req.path === "/close")
          socket.end("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close")
        else socket.write(ok("fresh"))
      })
      const proxy = yield* forwarding([replica.address])
      const agent = yield* client
      const closed = yield* Effect.promise(() => send(agent, `${proxy.url}/close`))
      assert.deepStrictEqual([closed.status, closed.body], [200, "until close"])
      const fresh = yield* Effect.promise(() => send(agent, `${proxy.url}/fresh`))
      assert.strictEqual(fresh.body, "fresh")
      assert.strictEqual(replica.accepted(), 2)
    }),
  )

  it.live("answers 502 for a malformed response and never reuses that connection", () =>
    Effect.gen(function* () {
      const bad: Record<string, string> = {
        "/status": "HTTP/1.1 2OO OK\r\ncontent-length: 0\r\n\r\n",
        "/lengths": "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok",
        "/folded": "HTTP/1.1 200 OK\r\nx-a: 1\r\n  continued\r\ncontent-length: 0\r\n\r\n",
        "/control": "HTTP/1.1 200 OK\r\nx-a: a\x01b\r\ncontent-length: 0\r\n\r\n",
      }
      const replica = yield* rawReplica((req, socket) =>
        socket.write(
          req.path === "/chunk"
            ? "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"
            : (bad[req.path] ?? ok("fine")),
        ),
      )
      const proxy = yield* forwarding([replica.address])
      const agent = yield* client
      for (const path of Object.keys(bad)) {
        const reply = yield* Effect.promise(() => send(agent, `${proxy.url}${path}`))
        assert.strictEqual(reply.status, 502, path)
        assert.include(reply.body, "could not answer", path)
        assert.strictEqual(reply.revision, "hello-a")
      }
      // A body gone wrong after a good head: the client's answer has started, so it is cut.
      const cut = yield* Effect.promise(() => send(agent, `${proxy.url}/chunk`))
      assert.strictEqual(cut.status, 0)
      const fine = yield* Effect.promise(() => send(agent, `${proxy.url}/fine`))
      assert.strictEqual(fine.body, "fine")
      // Every malformed answer cost its connection; the good one needed a fresh one.
      assert.strictEqual(replica.accepted(), Object.keys(bad).length + 2)
      assert.deepStrictEqual(recorded(proxy.metrics), { "2xx": 1, "5xx": Object.keys(bad).length + 1 })
      assert.strictEqual(inFlight(proxy.upstreams), 0)
    }),
  )

  it.live("cuts the client's connection and counts a 502 when the replica dies mid-body", () =>
    Effect.gen(function* () {
      const replica = yield* rawReplica((_req, socket) =>
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial"),
      )
      const proxy = yield* forwarding([replica.address])
      const agent = yield* client
      const outcome = yield* Effect.promise(async (signal) => {
        const res = await request(`${proxy.url}/`, { dispatcher: agent, signal })
        const chunks = res.body[Symbol.asyncIterator]()
        const first = await chunks.next()
        // The client has the first bytes: now the replica dies.
        for (const s of replica.sockets) s.destroy()
        try {
          while (!(await chunks.next()).done);
          return `${res.statusCode} ${String(first.value)} complete`
        } catch {
          return `${res.statusCode} ${String(first.value)} cut`
        }
      }).pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(outcome, "200 partial cut")
      assert.deepStrictEqual(recorded(proxy.metrics), { "5xx": 1 })
      assert.strictEqual(inFlight(proxy.upstreams), 0)
    }),
  )

  it.live("records 499 and aborts the upstream request when the client goes away mid-response", () =>
    Effect.gen(function* () {
      const replica = yield* rawReplica((_req, socket) =>
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nfirst bytes"),
      )
      const proxy = yield* forwarding([replica.address])
      yield* Effect.promise(
        (signal) =>
          new Promise<void>((resolve, reject) => {
            const req = httpRequest(`${proxy.url}/`, { agent: false, signal }, (res) => {
              res.once("data", () => {
                req.destroy()
                resolve()
              })
            })
            req.on("error", (e) => (e.message.includes("socket hang up") ? undefined : reject(e)))
            req.end()
          }),
      ).pipe(Effect.timeout("5 seconds"))
      // The replica's connection is closed: undici gave up the request instead of reading on.
      yield* until(replica.events, "close", () => replica.sockets.size === 0)
      assert.strictEqual(replica.accepted(), 1)
      assert.deepStrictEqual(recorded(proxy.metrics), { "4xx": 1 })
      assert.strictEqual(inFlight(proxy.upstreams), 0)
    }),
  )

  it.live("answers 504 when no response head comes in time, and gives up the upstream request", () =>
    Effect.gen(function* () {
      // /silent never answers; /late sends its head at once and its body well after the
      // deadline (300 ms, checked every 500 ms): the deadline is for the head only.
      const replica = yield* rawReplica((req, socket) => {
        if (req.path !== "/late") return
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        setTimeout(() => socket.write("done"), 1_000)
      })
      const proxy = yield* forwarding([replica.address], { responseHeadTimeout: 300 })
      const agent = yield* client
      const silent = yield* Effect.promise(() => send(agent, `${proxy.url}/silent`)).pipe(
        Effect.timeout("5 seconds"),
      )
      assert.deepStrictEqual([silent.status, silent.revision], [504, "hello-a"])
      assert.include(silent.body, "no response head within 300 ms")
      // The replica's connection is closed rather than left to answer no one.
      yield* until(replica.events, "close", () => replica.sockets.size === 0)
      assert.strictEqual(inFlight(proxy.upstreams), 0)

      const late = yield* Effect.promise(() => send(agent, `${proxy.url}/late`)).pipe(
        Effect.timeout("5 seconds"),
      )
      assert.deepStrictEqual([late.status, late.body], [200, "done"])
      assert.deepStrictEqual(recorded(proxy.metrics), { "2xx": 1, "5xx": 1 })
    }),
  )

  it.live("relays an early answer to an upload the replica refuses", () =>
    Effect.gen(function* () {
      // The replica answers 413 at once and never reads the body: the proxy's copy of the
      // upload backs up behind it, and the answer must still get through.
      const refusing = yield* upstream((_req, res) => {
        res.writeHead(413, { "content-type": "text/plain" })
        res.end("too large")
      })
      const proxy = yield* forwarding([refusing.address])
      const keepAlive = yield* Effect.acquireRelease(
        Effect.sync(() => new HttpAgent({ keepAlive: true })),
        (agent) => Effect.sync(() => agent.destroy()),
      )
      const MiB = 1024 * 1024
      const reply = yield* Effect.promise(
        (signal) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = httpRequest(
              `${proxy.url}/upload`,
              { method: "POST", agent: keepAlive, signal, headers: { "content-length": String(16 * MiB) } },
              (res) =>
                void readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject),
            )
            // Once answered, the rest of the upload is the client's business (Node stops sending it).
            req.on("error", () => undefined)
            const chunk = Buffer.alloc(MiB, 1)
            let sent = 0
            const pump = () => {
              while (sent < 16 && req.write(chunk)) sent += 1
              if (sent < 16)
                req.once("drain", () => {
                  sent += 1
                  pump()
                })
              else req.end()
            }
            pump()
          }),
      ).pipe(Effect.timeout("10 seconds"))
      assert.deepStrictEqual(reply, { status: 413, body: "too large" })
      assert.deepStrictEqual(recorded(proxy.metrics), { "4xx": 1 })
    }),
  )

  it.live("sends a Content-Length upload as it is and streams a chunked one", () =>
    Effect.gen(function* () {
      const seen: Array<{ length?: string; encoding?: string; body: string }> = []
      const firstBytes = new EventEmitter()
      const echo = yield* upstream((req, res) => {
        req.once("data", () => firstBytes.emit("data"))
        void readAll(req).then((body) => {
          seen.push({
            ...(req.headers["content-length"] === undefined ? {} : { length: req.headers["content-length"] }),
            ...(req.headers["transfer-encoding"] === undefined
              ? {}
              : { encoding: req.headers["transfer-encoding"] }),
            body,
          })
          res.end("stored")
        })
      })
      const proxy = yield* forwarding([echo.address])
      assert.deepStrictEqual(yield* upload(`${proxy.url}/upload`, "POST", ["hello"], true), {
        status: 200,
        body: "stored",
      })
      // The rest of the chunked upload is sent only once the replica has its start: the proxy
      // cannot know the length in advance, so the body goes on chunked.
      const started = new Promise((resolve) => firstBytes.once("data", resolve))
      assert.deepStrictEqual(
        yield* upload(`${proxy.url}/upload`, "POST", ["one ", "two ", "three"], false, started),
        { status: 200, body: "stored" },
      )
      assert.deepStrictEqual(seen, [
        { length: "5", body: "hello" },
        { encoding: "chunked", body: "one two three" },
      ])
    }),
  )

  it.live("streams each chunk of an event stream to the client as it comes, not at the end", () =>
    Effect.gen(function* () {
      // The replica writes the next event only once the client has the previous one: a
      // proxy that held chunks back (until the end, or until a batch fills) never finishes.
      const clientGot = new EventEmitter()
      const events = ["data: 1\n\n", "data: 2\n\n", "data: 3\n\n"]
      const sse = yield* upstream((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" })
        let next = 0
        const write = () => {
          if (next === events.length) return void res.end()
          res.write(events[next++])
        }
        clientGot.on("event", write)
        res.on("close", () => clientGot.off("event", write))
        write()
      })
      const proxy = yield* forwarding([sse.address])
      const agent = yield* client
      const received = yield* Effect.promise(async (signal) => {
        const res = await request(`${proxy.url}/events`, { dispatcher: agent, signal })
        const got: Array<string> = []
        let pending = ""
        for await (const chunk of res.body) {
          pending += String(chunk)
          // Events may arrive split or together; each complete one lets the replica go on.
          for (let end = pending.indexOf("\n\n"); end >= 0; end = pending.indexOf("\n\n")) {
            got.push(pending.slice(0, end + 2))
            pending = pending.slice(end + 2)
            clientGot.emit("event")
          }
        }
        return [res.headers["content-type"], ...got]
      }).pipe(Effect.timeout("5 seconds"))
      assert.deepStrictEqual(received, ["text/event-stream", ...events])
    }),
  )

  it.live("pauses the replica while the client reads slowly, buffering a bounded amount", () =>
    Effect.gen(function* () {
      const MiB = 1024 * 1024
      // More than every socket buffer between replica, proxy and client can hold (tcp_rmem
      // may grow to 32 MiB on loopback), so a replica that finishes while the client reads
      // nothing was read by a proxy that did not hold back.
      const total = 64 * MiB
      const bound = 4 * MiB
      let written = 0
      let replicaFinished = false
      const expected = createHash("sha256")
      const chunk = (i: number) => Buffer.alloc(MiB, i % 251)
      for (let i = 0; i < total / MiB; i++) expected.update(chunk(i))
      const producer = yield* upstream((req, res) => {
        req.resume()
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total })
        let i = 0
        const pump = () => {
          while (i < total / MiB) {
            const more = res.write(chunk(i++))
            written += MiB
            if (!more) return void res.once("drain", pump)
          }
          res.end(() => {
            replicaFinished = true
          })
        }
        pump()
      })
      // The most the proxy ever held for the client in its own memory.
      let maxBuffered = 0
      const proxy = yield* forwarding([producer.address], {
        observe: (res) => {
          const write = res.write.bind(res) as (chunk: Buffer) => boolean
          res.write = ((chunk: Buffer) => {
            const more = write(chunk)
            maxBuffered = Math.max(maxBuffered, res.writableLength)
            return more
          }) as typeof res.write
        },
      })
      const response = yield* Effect.promise(
        () =>
          new Promise<IncomingMessage>((resolve, reject) => {
            const req = httpRequest(`${proxy.url}/download`, { agent: false }, (res) => {
              res.pause()
              resolve(res)
            })
            req.on("error", reject)
            req.end()
          }),
      )
      // The client reads nothing: wait until the replica stops making progress (polled,
      // bounded), then check it was held back.
      let last = -1
      let still = 0
      for (let polls = 0; polls < 200 && still < 3 && !replicaFinished; polls++) {
        yield* Effect.sleep("50 millis")
        still = written === last ? still + 1 : 0
        last = written
      }
      assert.isFalse(replicaFinished, "the replica wrote the whole body to a client reading nothing")
      assert.isBelow(written, total)
      assert.isAtMost(maxBuffered, bound)

      const got = yield* Effect.promise(async (signal) => {
        signal.addEventListener("abort", () => response.destroy())
        const hash = createHash("sha256")
        let bytes = 0
        for await (const c of response) {
          hash.update(c as Buffer)
          bytes += (c as Buffer).length
        }
        return { bytes, sha: hash.digest("hex") }
      }).pipe(Effect.timeout("20 seconds"))
      assert.deepStrictEqual(got, { bytes: total, sha: expected.digest("hex") })
      assert.isAtMost(maxBuffered, bound)
    }),
  )

  describe("retries", () => {
    it.live("sends any method to the next replica when the first refuses the connection", () =>
      Effect.gen(function* () {
        const refused = yield* refusingAddress
        const echo = yield* upstream((req, res) => {
          void readAll(req).then((body) => res.end(`${req.method} ${body}`))
        })
        const proxy = yield* forwarding([refused, echo.address])
        const agent = yield* client
        const get = yield* Effect.promise(() => send(agent, `${proxy.url}/`))
        assert.deepStrictEqual([get.status, get.body], [200, "GET "])
        const del = yield* Effect.promise(() => send(agent, `${proxy.url}/`, { method: "DELETE" }))
        assert.deepStrictEqual([del.status, del.body], [200, "DELETE "])
        // Nothing of the body was read before the connection failed: all of it reaches the second.
        assert.deepStrictEqual(yield* upload(`${proxy.url}/`, "POST", ["pay", "load"], true), {
          status: 200,
          body: "POST payload",
        })
        assert.deepStrictEqual(yield* upload(`${proxy.url}/`, "PUT", ["chunked ", "payload"], false), {
          status: 200,
          body: "PUT chunked payload",
        })
        assert.deepStrictEqual(recorded(proxy.metrics), { "2xx": 4 })
        assert.strictEqual(inFlight(proxy.upstreams), 0)
      }),
    )

    it.live(
      "replays a bodyless GET whose connection closes unanswered on the next replica, never a POST",
      () =>
        Effect.gen(function* () {
          // Replica a answers the first request on each connection and hangs up on the next,
          // the way a replica closing an idle connection races the proxy reusing it.
          const a = yield* rawReplica((req, socket) => {
            if (req.onConnection === 1) socket.write(ok("a"))
            else socket.end()
          })
          const b = yield* rawReplica((_req, socket) => socket.write(ok("b")))
          const proxy = yield* forwarding([a.address, b.address])
          const answers: Array<string> = []
          for (const [method, body] of [
            ["GET", undefined],
            ["GET", undefined],
            ["POST", "first"],
            ["POST", "second"],
          ] as const) {
            const reply =
              body === undefined
                ? yield* rawGet(`${proxy.url}/`)
                : yield* upload(`${proxy.url}/`, method, [body], true)
            answers.push(`${method} ${reply.status} ${reply.status === 200 ? reply.body : "error"}`)
          }
          assert.deepStrictEqual(answers, ["GET 200 a", "GET 200 b", "POST 200 a", "POST 502 error"])
          // The POST the replica may have acted on was not sent anywhere else.
          assert.deepStrictEqual(
            a.requests.map((r) => `${r.method} ${r.body}`),
            ["GET ", "GET ", "POST first", "POST second"],
          )
          assert.deepStrictEqual(
            b.requests.map((r) => `${r.method} ${r.body}`),
            ["GET "],
          )
          assert.deepStrictEqual(recorded(proxy.metrics), { "2xx": 3, "5xx": 1 })
          assert.strictEqual(inFlight(proxy.upstreams), 0)
        }),
    )
  })
})
