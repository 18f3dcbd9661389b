import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { defaultAnalysis } from "@slipway/core"
import { blueGreen } from "@slipway/strategies"
import {
  compileEcs,
  type EcsHookPolicy,
  type EcsLifecycleHookEvent,
  makeEcsHookHandler,
} from "../src/native/index.ts"

// A stand-in for the new revision behind the test listener.
let server: Server
let base = ""
let closedPort = 0
let hits = 0

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++
    if (req.url === "/healthz") res.writeHead(200).end("ok")
    else if (req.url === "/broken") res.writeHead(503).end("down")
    else if (req.url === "/version") res.writeHead(200).end("version=1")
    else if (req.url === "/slow") {
      // never answers: the check's timeout decides
    } else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // A port nobody listens on: bind, note, close.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
  closedPort = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const policy = (overrides: Partial<EcsHookPolicy> = {}): EcsHookPolicy => ({
  holdSeconds: 0,
  intervalSeconds: 10,
  failureLimit: 0,
  inconclusiveLimit: 3,
  onInconclusiveLimit: "fail",
  requireChecks: true,
  ...overrides,
})

const event = (hookDetails: unknown): EcsLifecycleHookEvent => ({
  executionId: "e8d5a28f-eb01-4f3c-9454-a30ba6dc54bc",
  lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
  resourceArn: "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/EZe5RNVLH6PPzHXINuP28",
  executionDetails: {
    serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web",
    targetServiceRevisionArn:
      "arn:aws:ecs:eu-west-1:123456789012:service-revision/prod/web/9313423515462893900",
    testTrafficWeights: {},
    productionTrafficWeights: {},
  },
  hookDetails,
})

const harness = (checks: unknown, start = 1_700_000_000_000) => {
  const clock = { now: start }
  const lines: Array<Record<string, unknown>> = []
  const handle = makeEcsHookHandler({
    env: {
      SLIPWAY_HOOK_CHECKS: typeof checks === "string" ? checks : JSON.stringify(checks),
      SLIPWAY_TEST_BASE_URL: base,
    },
    now: () => clock.now,
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  })
  return { handle, clock, lines }
}

describe("ECS lifecycle hook handler", () => {
  it("answers SUCCEEDED when every check passes", async () => {
    const { handle, lines } = harness([{ name: "health", path: "/healthz" }])
    const answer = await handle(event({ slipway: policy() }))
    assert.deepStrictEqual(answer, { hookStatus: "SUCCEEDED" })
    assert.strictEqual(lines[0]!.reason, "all 1 check(s) passed")
    assert.deepStrictEqual(lines[0]!.checks, [
      { name: "health", url: `${base}/healthz`, verdict: "pass", detail: "status 200" },
    ])
  })

  it("answers FAILED on a wrong status when no failure is tolerated", async () => {
    const { handle } = harness([
      { name: "health", path: "/healthz" },
      { name: "deep", path: "/broken" },
    ])
    const answer = await handle(event({ slipway: policy() }))
    assert.deepStrictEqual(answer, { hookStatus: "FAILED" })
  })

  it("tolerates failureLimit failed rounds, carrying the count in hookDetails", async () => {
    const { handle, lines } = harness([{ name: "deep", path: "/broken" }])
    const first = await handle(event({ slipway: policy({ failureLimit: 1 }) }))
    assert.strictEqual(first.hookStatus, "IN_PROGRESS")
    assert.strictEqual(first.callBackDelay, 10)
    assert.deepStrictEqual(first.hookDetails, {
      slipway: policy({ failureLimit: 1 }),
      slipwayState: { startedAt: 1_700_000_000_000, rounds: 1, failures: 1, inconclusive: 0 },
    })
    const second = await handle(event(first.hookDetails))
    assert.deepStrictEqual(second, { hookStatus: "FAILED" })
    assert.strictEqual(lines[1]!.reason, "deep: status 503 (failed 2 time(s), limit 1)")
  })

  it("keeps checking for the hold of a timed pause before answering SUCCEEDED", async () => {
    const { handle, clock } = harness([{ name: "health", path: "/healthz" }])
    const first = await handle(event({ slipway: policy({ holdSeconds: 120 }) }))
    assert.strictEqual(first.hookStatus, "IN_PROGRESS")
    assert.strictEqual(first.callBackDelay, 10)
    clock.now += 115_000
    const second = await handle(event(first.hookDetails))
    assert.strictEqual(second.hookStatus, "IN_PROGRESS")
    assert.strictEqual(second.callBackDelay, 5, "the last callback lands when the hold ends")
    clock.now += 5_000
    assert.deepStrictEqual(await handle(event(second.hookDetails)), { hookStatus: "SUCCEEDED" })
  })

  it("counts a check with no answer as inconclusive and fails past the limit when told to", async () => {
    const { handle, lines } = harness([{ name: "slow", path: "/slow", timeoutMs: 100 }])
    const answer = await handle(event({ slipway: policy({ inconclusiveLimit: 0 }) }))
    assert.deepStrictEqual(answer, { hookStatus: "FAILED" })
    assert.strictEqual(lines[0]!.reason, "slow: no answer within 100ms (1 rounds without an answer)")
  })

  it("keeps the deployment waiting past the inconclusive limit when the strategy pauses", async () => {
    const { handle, lines } = harness([{ name: "gone", url: `http://127.0.0.1:${closedPort}/healthz` }])
    const answer = await handle(
      event({ slipway: policy({ inconclusiveLimit: 0, onInconclusiveLimit: "pause" }) }),
    )
    assert.strictEqual(answer.hookStatus, "IN_PROGRESS")
    assert.match(
      String(lines[0]!.reason),
      /^gone: request failed: ECONNREFUSED \(1 rounds without an answer; waiting/,
    )
  })

  it("fails a body that lacks the expected text", async () => {
    const { handle, lines } = harness([{ name: "version", path: "/version", bodyIncludes: "version=2" }])
    assert.deepStrictEqual(await handle(event({ slipway: policy() })), { hookStatus: "FAILED" })
    assert.match(String(lines[0]!.reason), /^version: status 200 but the body lacks "version=2"/)
  })

  it("judges only the gates the step names, and fails when one has no check", async () => {
    const before = hits
    const named = harness([
      { name: "smoke", path: "/healthz" },
      { name: "deep", path: "/broken" },
    ])
    assert.deepStrictEqual(await named.handle(event({ slipway: policy({ gates: ["smoke"] }) })), {
      hookStatus: "SUCCEEDED",
    })
    assert.strictEqual(hits - before, 1, "the unnamed check was not requested")
    const missing = harness([{ name: "smoke", path: "/healthz" }])
    assert.deepStrictEqual(await missing.handle(event({ slipway: policy({ gates: ["smoke", "load"] }) })), {
      hookStatus: "FAILED",
    })
    assert.match(String(missing.lines[0]!.reason), /^gate\(s\) load have no check in SLIPWAY_HOOK_CHECKS/)
  })

  it("refuses to pass gates blindly when no check is configured, but holds a plain pause without checks", async () => {
    const gated = harness([])
    assert.deepStrictEqual(await gated.handle(event({ slipway: policy() })), { hookStatus: "FAILED" })
    const hold = harness([])
    const first = await hold.handle(event({ slipway: policy({ requireChecks: false, holdSeconds: 30 }) }))
    assert.strictEqual(first.hookStatus, "IN_PROGRESS")
    hold.clock.now += 30_000
    assert.deepStrictEqual(await hold.handle(event(first.hookDetails)), { hookStatus: "SUCCEEDED" })
  })

  it("fails with the reason when SLIPWAY_HOOK_CHECKS is not valid", async () => {
    const { handle, lines } = harness("[{ name: health }]")
    assert.deepStrictEqual(await handle(event({ slipway: policy() })), { hookStatus: "FAILED" })
    assert.match(String(lines[0]!.reason), /^SLIPWAY_HOOK_CHECKS is not JSON/)
  })

  it("reads the policy compileEcs writes into hookDetails", async () => {
    const compiled = compileEcs(
      {
        ...blueGreen({ previewGates: ["smoke"], promoteAfter: "1m" }),
        analysis: { ...defaultAnalysis, interval: 15_000 },
      },
      {
        roleArn: "r",
        alternateTargetGroupArn: "tg",
        productionListenerRuleArn: "prod",
        testListenerRuleArn: "test",
        hookFunctionArn: "fn",
        hookRoleArn: "hr",
      },
    )
    if (compiled._tag === "Refused") assert.fail(compiled.reason)
    const hookDetails = compiled.settings.deploymentConfiguration.lifecycleHooks?.[0]?.hookDetails
    const { handle, clock } = harness([{ name: "smoke", path: "/healthz" }])
    // The service definition carries hookDetails as JSON text; ECS hands it to the function.
    const first = await handle(event(hookDetails))
    assert.strictEqual(first.hookStatus, "IN_PROGRESS")
    assert.strictEqual(first.callBackDelay, 15)
    clock.now += 60_000
    assert.deepStrictEqual(await handle(event(first.hookDetails)), { hookStatus: "SUCCEEDED" })
  })
})
