/**
 * Replicas are supervised: one killed with -9 is restarted while the others (and the
 * proxy's retries) keep every request answered; a candidate whose replicas never become
 * ready — crashing at start, or answering its health check with 503 — is rolled back with
 * a reason that shows why, and the stable revision serves throughout.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { configSource, isRunning, World, waitFor } from "./support.ts"

const APP = "reps"
const world = new World("replicas")
const config = world.write(
  "slipway.config.ts",
  configSource({
    app: APP,
    // A short progress deadline: a candidate that is not ready by then is rolled back.
    strategy: `canary({ steps: [{ weight: 50, bake: "1s" }], analysis: { interval: "1s" }, scaleDownDelay: "1s", progressDeadline: "5s" })`,
    gates: `[Gate.http("/healthz", { timeout: "2s" })]`,
  }),
)

let stable = ""

beforeAll(async () => {
  await world.startAgent()
  const first = await world.run(["deploy", "-c", config, "-e", "APP_VERSION=1"])
  assert.strictEqual(first.code, 0, first.stderr)
  stable = (await world.current(APP))!.candidate.id
}, 90_000)

afterAll(() => world.cleanup(), 60_000)

/** The stable revision still has all the traffic, and answers. */
const stableServes = async () => {
  const status = await world.status(config)
  assert.strictEqual(status.weights[stable], 100)
  for (let i = 0; i < 5; i++) {
    const res = await world.get()
    assert.strictEqual(res.status, 200)
    assert.strictEqual(res.version, "1")
  }
}

describe("replica supervision", () => {
  it("restarts a replica killed with -9 while requests keep succeeding", async () => {
    const before = (await world.agentStatus()).revisions.find((r) => r.revision === stable)!
    const victim = before.replicas!.find((r) => r.index === 1)!
    assert.isNotNull(victim.pid)
    const load = world.startLoad({ rps: 50 })
    await new Promise((r) => setTimeout(r, 500))

    process.kill(victim.pid!, "SIGKILL")
    const after = await waitFor("the killed replica to be restarted and ready", async () => {
      const r = (await world.agentStatus()).revisions.find((x) => x.revision === stable)
      const replica = r?.replicas?.find((x) => x.index === 1)
      return r && r.ready === 2 && replica?.state === "ready" && replica.pid !== victim.pid ? r : undefined
    })
    await new Promise((r) => setTimeout(r, 500))
    const { summary } = await load.stop()

    assert.isFalse(isRunning(victim.pid!))
    assert.isAbove(after.restarts, before.restarts, "the restart is counted")
    assert.strictEqual(after.replicas!.find((x) => x.index === 1)!.restarts, victim.restarts + 1)
    assert.isAbove(summary.sent, 0)
    assert.strictEqual(summary.failed, 0, JSON.stringify(summary.failures))
    assert.deepStrictEqual(summary.errors, {})
  }, 90_000)
})

describe("a candidate that never becomes ready", () => {
  it("crash-looping at start: rolled back, the reason quotes the crash, stable untouched", async () => {
    // Node refuses to start: a preload module that does not exist.
    const deploy = await world.run([
      "deploy",
      "-c",
      config,
      "-e",
      "APP_VERSION=2",
      "-e",
      "NODE_OPTIONS=--require=./no-such-module.cjs",
    ])
    assert.strictEqual(deploy.code, 1, deploy.stderr)
    assert.match(deploy.stderr, /rolled back/)
    assert.match(deploy.stderr, /crashed \d+ times before becoming ready/)
    assert.match(deploy.stderr, /Cannot find module '.\/no-such-module.cjs'/)
    const record = (await world.current(APP))!
    assert.strictEqual(record.status, "rolled-back")
    assert.match(record.rollbackReason ?? "", /failed to start/)
    await stableServes()
    // The candidate is stopped, not left restarting for ever.
    const candidate = (await world.agentStatus()).revisions.find((r) => r.revision === record.candidate.id)
    assert.strictEqual(candidate?.desired ?? 0, 0)
  }, 90_000)

  it("failing its health check (FAULT_UNHEALTHY=1): rolled back at the progress deadline with the replica's log tail", async () => {
    const deploy = await world.run(["deploy", "-c", config, "-e", "APP_VERSION=3", "-e", "FAULT_UNHEALTHY=1"])
    assert.strictEqual(deploy.code, 1, deploy.stderr)
    assert.match(deploy.stderr, /not ready within 5s/)
    assert.match(deploy.stderr, /GET \/healthz on port \d+ returned 503/)
    // The last lines the replica printed, as the agent captured them.
    assert.match(deploy.stderr, /last \d+ log line\(s\) of replica \d/)
    assert.match(deploy.stderr, /\| hello-node 3 listening on http:\/\/127\.0\.0\.1:\d+/)
    const record = (await world.current(APP))!
    assert.strictEqual(record.status, "rolled-back")
    await stableServes()
  }, 90_000)
})
