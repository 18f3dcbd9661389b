/**
 * Rollouts on this machine under steady load from another process: a good canary and a
 * good blue-green lose no request; a faulty canary is rolled back on its own, and the
 * only failures are the candidate's, bounded by its share of the traffic while it was
 * being judged.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { configSource, eventsOf, requestsDuring, World } from "./support.ts"

const APP = "roll"
const world = new World("rollouts")
const gates = `[
  Gate.requireTraffic(5, { window: "2s" })(Gate.errorRate({ max: 0.05, window: "2s" })),
  Gate.http("/healthz", { timeout: "2s" }),
]`
const analysis = `analysis: { interval: "1s", failureLimit: 0, inconclusiveLimit: 10 }, scaleDownDelay: "1s"`
const canaryConfig = world.write(
  "canary.config.ts",
  configSource({
    app: APP,
    strategy: `canary({ steps: [{ weight: 25, bake: "3s" }, { weight: 50, bake: "2s" }], ${analysis} })`,
    gates,
  }),
)
const blueGreenConfig = world.write(
  "blue-green.config.ts",
  configSource({ app: APP, strategy: `blueGreen({ ${analysis} })`, gates }),
)

/** The app's revision ids by the APP_VERSION they were deployed with. */
const revisionOf = async (version: string): Promise<string> => {
  const rollouts = await world.rollouts(APP)
  const found = rollouts.find(
    (r) => (r.candidate.config.env as Record<string, string>).APP_VERSION === version,
  )
  if (!found) throw new Error(`no rollout of version ${version}`)
  return found.candidate.id
}

beforeAll(async () => {
  await world.startAgent()
  const first = await world.run(["deploy", "-c", canaryConfig, "-e", "APP_VERSION=1"])
  assert.strictEqual(first.code, 0, first.stderr)
}, 90_000)

afterAll(() => world.cleanup(), 60_000)

describe("rollouts under steady load", () => {
  it("promotes a good canary with zero failed requests, and retires the old revision", async () => {
    const load = world.startLoad({ rps: 100 })
    const deploy = await world.run(["deploy", "-c", canaryConfig, "-e", "APP_VERSION=2"])
    const { summary } = await load.stop()

    assert.strictEqual(deploy.code, 0, deploy.stderr)
    assert.strictEqual(summary.failed, 0, JSON.stringify(summary.failures))
    assert.deepStrictEqual(summary.errors, {})
    assert.isAbove(summary.versions["1"] ?? 0, 0, "the stable version answered during the rollout")
    assert.isAbove(summary.versions["2"] ?? 0, 0, "the candidate answered during the rollout")

    const [v1, v2] = [await revisionOf("1"), await revisionOf("2")]
    const status = await world.status(canaryConfig)
    assert.strictEqual(status.weights[v2], 100)
    assert.strictEqual(status.weights[v1] ?? 0, 0)
    assert.strictEqual(status.revisions.find((r) => r.revision === v2)?.ready, 2)
    const old = status.revisions.find((r) => r.revision === v1)
    assert.strictEqual(old?.desired ?? 0, 0, "the old revision is scaled to 0")
    assert.strictEqual(old?.ready ?? 0, 0)
    assert.strictEqual(status.rollout?.status, "succeeded")
    assert.strictEqual((await world.get()).version, "2")
  }, 120_000)

  it("switches a good blue-green with zero failed requests, and retires the old revision", async () => {
    const load = world.startLoad({ rps: 100 })
    const deploy = await world.run(["deploy", "-c", blueGreenConfig, "-e", "APP_VERSION=3"])
    const { summary } = await load.stop()

    assert.strictEqual(deploy.code, 0, deploy.stderr)
    assert.strictEqual(summary.failed, 0, JSON.stringify(summary.failures))
    assert.deepStrictEqual(summary.errors, {})
    assert.isAbove(summary.versions["2"] ?? 0, 0, "blue answered until the switch")
    assert.isAbove(summary.versions["3"] ?? 0, 0, "green answered after the switch")

    const [v2, v3] = [await revisionOf("2"), await revisionOf("3")]
    const record = await world.current(APP)
    assert.strictEqual(record?.strategy.kind, "blueGreen")
    // Blue-green never splits traffic: every weight set is all-or-nothing.
    for (const e of eventsOf(record!, "WeightSet")) assert.include([0, 100], e.candidateWeight)
    const status = await world.status(blueGreenConfig)
    assert.strictEqual(status.weights[v3], 100)
    assert.strictEqual(status.weights[v2] ?? 0, 0)
    assert.strictEqual(status.revisions.find((r) => r.revision === v2)?.ready ?? 0, 0)
    assert.strictEqual((await world.get()).version, "3")
  }, 120_000)

  it("rolls back a candidate failing half its requests; its failures stay within its share of the judged traffic", async () => {
    const load = world.startLoad({ rps: 100 })
    const deploy = await world.run([
      "deploy",
      "-c",
      canaryConfig,
      "-e",
      "APP_VERSION=4",
      "-e",
      "FAULT_ERROR_RATE=0.5",
      "--json",
    ])
    // Let the stable revision serve on its own for a moment after the rollback.
    await new Promise((r) => setTimeout(r, 1_000))
    const traffic = await load.stop()
    const { summary } = traffic

    assert.strictEqual(deploy.code, 1, `a faulty candidate is rolled back (exit 1): ${deploy.stderr}`)
    const outcome = JSON.parse(deploy.stdout.trim().split("\n").at(-1)!) as {
      status: string
      rollbackReason: string
    }
    assert.strictEqual(outcome.status, "rolled-back")
    assert.match(outcome.rollbackReason, /gate failed: error-rate/)

    // Stable kept serving throughout: no connection errors, and every failure is a 500 from v4.
    assert.deepStrictEqual(summary.errors, {})
    assert.deepStrictEqual(Object.keys(summary.statuses).sort(), ["200", "500"])
    for (const f of summary.failures) {
      assert.strictEqual(f.status, 500)
      assert.strictEqual(f.version, "4")
    }

    // The candidate had traffic from its first weight until the rollback set it to 0.
    const record = (await world.current(APP))!
    assert.strictEqual(record.status, "rolled-back")
    const weights = eventsOf(record, "WeightSet")
    const firstShare = weights.findIndex((e) => e.candidateWeight > 0)
    const back = weights.findIndex((e, i) => i > firstShare && e.candidateWeight === 0)
    assert.isAtLeast(firstShare, 0)
    assert.isAbove(back, firstShare)
    const opened = eventsOf(record, "StepStarted").find((e) => e.index === 1)!.at
    const closed = weights[back]!.at
    const share = Math.max(...weights.slice(firstShare, back).map((e) => e.candidateWeight)) / 100
    const judged = requestsDuring(traffic, opened, closed)
    const bound = share * judged

    assert.isAbove(summary.failed, 0, "the candidate did receive traffic")
    assert.isAtMost(
      summary.failed,
      bound,
      `${summary.failed} failed requests, more than ${share * 100}% of the ${judged} answered while the candidate had traffic`,
    )
    // Failures happened only while the candidate had traffic (answers in flight may land just after).
    for (const f of summary.failures) {
      assert.isAtLeast(f.at, opened)
      assert.isAtMost(f.at, closed + 1_000)
    }
    // Stable answered before, during and after: the last second of load is all v3.
    const last = traffic.seconds.at(-1)!
    assert.deepStrictEqual(Object.keys(last.versions), ["3"])
    assert.strictEqual(last.failed, 0)
    assert.strictEqual((await world.get()).version, "3")
  }, 120_000)
})
