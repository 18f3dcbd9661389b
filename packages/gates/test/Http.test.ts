import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Gate from "../src/index.ts"
import { closedPort, context, deferred, httpServer, stable } from "./support.ts"

// One loopback app with a route per behaviour. Hanging and slow routes report that the
// request arrived, so tests move virtual time only once the probe is waiting.
const app = Effect.gen(function* () {
  const arrived = deferred()
  const release = deferred()
  const server = yield* httpServer((request, response) => {
    switch (request.url) {
      case "/healthz":
        response.writeHead(200, { "content-type": "application/json", "x-revision": "candidate" })
        response.end('{"status":"ok","version":"2.4.1"}')
        return
      case "/created":
        response.writeHead(201).end("created")
        return
      case "/unavailable":
        response.writeHead(503).end("upstream database unreachable")
        return
      case "/moved":
        response.writeHead(301, { location: "/healthz" }).end()
        return
      case "/host":
        response.writeHead(200).end(`host=${request.headers.host} method=${request.method}`)
        return
      case "/hang":
        arrived.resolve()
        return // never answers
      case "/slow":
        arrived.resolve()
        release.promise.then(() => response.writeHead(200).end("late"))
        return
      default:
        response.writeHead(404).end("not found")
    }
  })
  return { ...server, arrived: arrived.promise, release: release.resolve }
})

describe("http probe", () => {
  it.effect("passes on the expected status and reports status and latency as evidence", () =>
    Effect.gen(function* () {
      const { url } = yield* app
      const verdict = yield* Gate.http(`${url}/healthz`).check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, `GET ${url}/healthz → 200 in 0ms`)
      const [evidence] = verdict.evidence
      assert.strictEqual(evidence?.query, `GET ${url}/healthz`)
      assert.strictEqual(evidence?.observed, 200)
      assert.strictEqual(evidence?.threshold, "status 200, within 5s")
      assert.match(evidence?.detail ?? "", /body: ".*\\"status\\":\\"ok\\"/)
    }),
  )

  it.effect("fails on another status, naming what was expected", () =>
    Effect.gen(function* () {
      const { url } = yield* app
      const verdict = yield* Gate.http(`${url}/unavailable`).check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, `GET ${url}/unavailable → 503 in 0ms; expected 200`)
      assert.match(verdict.evidence[0]?.detail ?? "", /upstream database unreachable/)
    }),
  )

  it.effect("accepts status classes, ranges and lists", () =>
    Effect.gen(function* () {
      const { url } = yield* app
      const tag = (path: string, expectStatus: Gate.StatusExpectation) =>
        Effect.map(Gate.http(`${url}${path}`, { expectStatus }).check(context()), (v) => v._tag)
      assert.strictEqual(yield* tag("/created", "2xx"), "Pass")
      assert.strictEqual(yield* tag("/unavailable", "2xx"), "Fail")
      assert.strictEqual(yield* tag("/moved", "200-399"), "Pass")
      assert.strictEqual(yield* tag("/moved", 200), "Fail") // redirects are not followed
      assert.strictEqual(yield* tag("/created", [200, 204]), "Fail")
      assert.strictEqual(yield* tag("/created", [200, 201]), "Pass")
      assert.strictEqual(yield* tag("/missing", ["2xx", 404]), "Pass")
    }),
  )

  it.effect("matches the body against a RegExp or a substring", () =>
    Effect.gen(function* () {
      const { url } = yield* app
      const json = yield* Gate.http(`${url}/healthz`, { bodyMatches: /"status":"ok"/g }).check(context())
      assert.strictEqual(json._tag, "Pass")
      // The same probe again: a /g RegExp must not carry lastIndex between checks.
      const again = Gate.http(`${url}/healthz`, { bodyMatches: /"status":"ok"/g })
      assert.strictEqual((yield* again.check(context()))._tag, "Pass")
      assert.strictEqual((yield* again.check(context()))._tag, "Pass")
      const substring = yield* Gate.http(`${url}/healthz`, { bodyMatches: '"version":"2.4.1"' }).check(
        context(),
      )
      assert.strictEqual(substring._tag, "Pass")
      const wrong = yield* Gate.http(`${url}/healthz`, { bodyMatches: /"status":"degraded"/ }).check(
        context(),
      )
      assert.strictEqual(wrong._tag, "Fail")
      assert.match(wrong.reason, /body does not match \/"status":"degraded"\//)
    }),
  )

  it.effect("checks response headers by exact value or RegExp, case-insensitively by name", () =>
    Effect.gen(function* () {
      const { url } = yield* app
      const ok = yield* Gate.http(`${url}/healthz`, {
        header: { "Content-Type": /json/, "x-revision": "candidate" },
      }).check(context())
      assert.strictEqual(ok._tag, "Pass")
      const wrong = yield* Gate.http(`${url}/healthz`, {
        header: { "x-revision": "stable", "x-trace": /./ },
      }).check(context())
      assert.strictEqual(wrong._tag, "Fail")
      assert.match(wrong.reason, /header x-revision is "candidate", expected "stable"/)
      assert.match(wrong.reason, /header x-trace missing/)
    }),
  )

  it.effect("sends the method and request headers it is given", () =>
    Effect.gen(function* () {
      const { url } = yield* app
      const verdict = yield* Gate.http(`${url}/host`, {
        method: "POST",
        body: "{}",
        requestHeaders: { host: "api.example.com" },
        bodyMatches: "host=api.example.com method=POST",
      }).check(context())
      assert.strictEqual(verdict._tag, "Pass")
    }),
  )

  it.effect("fails with 'no response within 200ms' when the server never answers (virtual time)", () =>
    Effect.gen(function* () {
      const { url, arrived } = yield* app
      const fiber = yield* Gate.http(`${url}/hang`, { timeout: "200ms" })
        .check(context())
        .pipe(Effect.forkChild)
      yield* Effect.promise(() => arrived)
      yield* TestClock.adjust("200 millis")
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, `GET ${url}/hang: no response within 200ms`)
      assert.strictEqual(verdict.evidence[0]?.observed, null)
    }),
  )

  it.effect("fails when the response is slower than the latency limit", () =>
    Effect.gen(function* () {
      const { url, arrived, release } = yield* app
      const fiber = yield* Gate.http(`${url}/slow`, { latency: "100ms", timeout: "5s" })
        .check(context())
        .pipe(Effect.forkChild)
      yield* Effect.promise(() => arrived)
      yield* TestClock.adjust("150 millis")
      release()
      const verdict = yield* Fiber.join(fiber)
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, `GET ${url}/slow → 200 in 150ms; slower than 100ms`)
      assert.deepStrictEqual(verdict.evidence[0]?.values, [150])
    }),
  )

  it.effect("fails with the network error when nothing listens", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const verdict = yield* Gate.http(`http://127.0.0.1:${port}/healthz`).check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(
        verdict.reason,
        `GET http://127.0.0.1:${port}/healthz: connection refused (ECONNREFUSED)`,
      )
    }),
  )

  describe("paths", () => {
    it.effect("resolves a path against the candidate's address through ProbeTarget", () =>
      Effect.gen(function* () {
        const { url } = yield* app
        const probe = Gate.http("/healthz", { bodyMatches: /ok/ })
        const verdict = yield* probe
          .check(context())
          .pipe(Effect.provide(Gate.ProbeTarget.layerMemory({ [context().candidate.id]: `${url}/` })))
        assert.strictEqual(verdict._tag, "Pass")
        assert.strictEqual(verdict.reason, "GET /healthz → 200 in 0ms")
        assert.strictEqual(verdict.evidence[0]?.query, `GET ${url}/healthz`)
        assert.strictEqual(probe.name, "GET /healthz")
      }),
    )

    it.effect("probes the stable revision with target: 'stable'", () =>
      Effect.gen(function* () {
        const { url } = yield* app
        const probe = Gate.http("/healthz", { target: "stable" })
        const layer = Gate.ProbeTarget.layerMemory({ [stable.id]: url })
        assert.strictEqual((yield* probe.check(context()).pipe(Effect.provide(layer)))._tag, "Pass")
        const first = yield* probe.check(context({ stable: null })).pipe(Effect.provide(layer))
        assert.strictEqual(first._tag, "Inconclusive")
        assert.match(first.reason, /no stable revision to probe/)
      }),
    )

    it.effect("is Inconclusive (not Fail) when the address cannot be resolved", () =>
      Effect.gen(function* () {
        const verdict = yield* Gate.http("/healthz")
          .check(context())
          .pipe(Effect.provide(Gate.ProbeTarget.layerMemory({})))
        assert.strictEqual(verdict._tag, "Inconclusive")
        assert.match(verdict.reason, /could not find the candidate .*'s address: no address for revision/)
      }),
    )

    it.effect("explains a missing ProbeTarget instead of failing", () =>
      Effect.gen(function* () {
        const path: string = "/healthz" // typed as string: the compiler cannot ask for ProbeTarget
        const verdict = yield* Gate.http(path).check(context())
        assert.strictEqual(verdict._tag, "Inconclusive")
        assert.match(verdict.reason, /no ProbeTarget is provided/)
      }),
    )
  })

  describe("configuration", () => {
    it("rejects what cannot be probed, naming the field", () => {
      assert.throws(
        () => Gate.http("healthz"),
        /url "healthz" is neither an absolute http\(s\) URL nor a path/,
      )
      assert.throws(() => Gate.http("localhost:8080/healthz"), /is neither an absolute http\(s\) URL/)
      assert.throws(
        () => Gate.http("/healthz", { expectStatus: 700 }),
        /expectStatus 700 is not an HTTP status/,
      )
      assert.throws(
        () => Gate.http("/healthz", { expectStatus: "2xy" as Gate.StatusClass }),
        /expectStatus "2xy" is not a status/,
      )
      assert.throws(() => Gate.http("/healthz", { timeout: "soon" }), /timeout "soon" is not a duration/)
      assert.throws(() => Gate.http("/healthz", { expectStatus: [] }), /expectStatus is empty/)
    })
  })
})

describe("tcp probe", () => {
  it.effect("passes when a connection opens", () =>
    Effect.gen(function* () {
      const { server } = yield* httpServer((_request, response) => response.end())
      const port = (server.address() as { port: number }).port
      const verdict = yield* Gate.tcp("127.0.0.1", port).check(context())
      assert.strictEqual(verdict._tag, "Pass")
      assert.strictEqual(verdict.reason, `tcp connect 127.0.0.1:${port} in 0ms`)
    }),
  )

  it.effect("fails when the connection is refused", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const verdict = yield* Gate.tcp("127.0.0.1", port, { timeout: "1s" }).check(context())
      assert.strictEqual(verdict._tag, "Fail")
      assert.strictEqual(verdict.reason, `tcp connect 127.0.0.1:${port}: connection refused (ECONNREFUSED)`)
    }),
  )

  it("rejects ports outside 1–65535", () => {
    assert.throws(() => Gate.tcp("127.0.0.1", 70_000), /port 70000 is above 65535/)
    assert.throws(() => Gate.tcp("127.0.0.1", 0), /port 0 is not a whole number ≥ 1/)
  })
})
