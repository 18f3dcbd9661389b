/**
 * The process driving a rollout is not the one serving it: `kill -9` of `slipway deploy`
 * mid-rollout leaves the agent serving, the journal knows where the rollout stood, and
 * the next command picks it up — the same deploy resumes it, `slipway abort` rolls it
 * back. Operators steer a deploy waiting on a manual pause from another process.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { configSource, eventsOf, type Running, World, waitFor } from "./support.ts"

const APP = "crash"
const world = new World("interrupted")
const probe = `[Gate.http("/healthz", { timeout: "2s" })]`
const policies = `analysis: { interval: "1s" }, scaleDownDelay: "1s"`
// A bake long enough to kill the deploy in the middle of it.
const bakeConfig = world.write(
  "bake.config.ts",
  configSource({
    app: APP,
    strategy: `canary({ steps: [{ weight: 30, bake: "6s" }], ${policies} })`,
    gates: probe,
  }),
)
const manualConfig = world.write(
  "manual.config.ts",
  configSource({
    app: APP,
    strategy: `canary({ steps: [{ weight: 30, bake: "manual" }], ${policies} })`,
    gates: probe,
  }),
)

/** Starts a deploy and waits until the journal shows it baking at its Pause step. */
const deployUntilPaused = async (config: string, version: string): Promise<Running> => {
  const deploy = world.spawn(["deploy", "-c", config, "-e", `APP_VERSION=${version}`])
  await waitFor(
    `v${version} to reach its pause`,
    async () => {
      if (deploy.child.exitCode !== null) throw new Error(`deploy ended early:\n${deploy.output()}`)
      const r = await world.current(APP)
      const env = r?.candidate.config.env as Record<string, string> | undefined
      return env?.APP_VERSION === version && r?.pause?.reason === "step" && r.status === "progressing"
        ? r
        : undefined
    },
    { timeout: 60_000 },
  )
  return deploy
}

const kill9 = async (running: Running) => {
  running.child.kill("SIGKILL")
  const run = await running.done
  assert.strictEqual(run.signal, "SIGKILL")
}

beforeAll(async () => {
  await world.startAgent()
  const first = await world.run(["deploy", "-c", bakeConfig, "-e", "APP_VERSION=1"])
  assert.strictEqual(first.code, 0, first.stderr)
}, 90_000)

afterAll(() => world.cleanup(), 60_000)

describe("kill -9 of the CLI mid-rollout", () => {
  it("keeps serving, shows the rollout in progress, and the same deploy resumes it to the end", async () => {
    const load = world.startLoad({ rps: 50 })
    const deploy = await deployUntilPaused(bakeConfig, "2")
    const before = (await world.current(APP))!
    await kill9(deploy)

    // The agent serves on its own: both revisions, by the weights the rollout had set.
    const status = await world.status(bakeConfig)
    assert.strictEqual(status.rollout?.status, "progressing")
    assert.strictEqual(status.rollout?.rolloutId, before.rolloutId)
    assert.strictEqual(status.weights[before.candidate.id], 30)
    for (let i = 0; i < 10; i++) assert.strictEqual((await world.get()).status, 200)

    const again = await world.run(["deploy", "-c", bakeConfig, "-e", "APP_VERSION=2"])
    const { summary } = await load.stop()
    assert.strictEqual(again.code, 0, again.stderr)
    assert.match(again.stdout, /resumed from the journal/)

    const record = (await world.current(APP))!
    assert.strictEqual(record.rolloutId, before.rolloutId, "the same rollout continued, not a new one")
    assert.strictEqual(record.status, "succeeded")
    assert.deepStrictEqual(
      eventsOf(record, "RolloutStarted").map((e) => e.resumed),
      [false, true],
    )
    // Nothing lost: the events from before the kill are still there, once.
    assert.strictEqual(eventsOf(record, "StepStarted").filter((e) => e.index === 1).length, 1)
    assert.strictEqual(summary.failed, 0, JSON.stringify(summary.failures))
    assert.isAbove(summary.versions["1"] ?? 0, 0)
    assert.isAbove(summary.versions["2"] ?? 0, 0)
    assert.strictEqual((await world.get()).version, "2")

    const history = await world.json<Array<{ rolloutId: string; status: string }>>([
      "history",
      "-c",
      bakeConfig,
    ])
    assert.deepStrictEqual(
      history.map((h) => h.status),
      ["succeeded", "succeeded"],
    )
    assert.strictEqual(history[0]!.rolloutId, before.rolloutId)
  }, 120_000)

  it("keeps serving, and `slipway abort` from another process rolls the orphaned rollout back", async () => {
    const deploy = await deployUntilPaused(manualConfig, "3")
    const killed = (await world.current(APP))!
    await kill9(deploy)
    assert.strictEqual((await world.status(manualConfig)).rollout?.status, "progressing")
    assert.strictEqual((await world.get()).status, 200)

    const abort = await world.run(["abort", "-c", manualConfig, "--reason", "wrong build"])
    assert.strictEqual(abort.code, 0, abort.stderr)
    assert.match(abort.stdout, /no process is driving the rollout/)

    const status = await world.status(manualConfig)
    assert.strictEqual(status.rollout?.rolloutId, killed.rolloutId)
    assert.strictEqual(status.rollout?.status, "rolled-back")
    assert.match(status.rollout?.rollbackReason ?? "", /wrong build/)
    assert.strictEqual(status.weights[killed.stable!.id], 100)
    assert.strictEqual(status.revisions.find((r) => r.revision === killed.candidate.id)?.ready ?? 0, 0)
    for (let i = 0; i < 5; i++) assert.strictEqual((await world.get()).version, "2")

    const history = await world.json<Array<{ rolloutId: string; status: string }>>([
      "history",
      "-c",
      manualConfig,
    ])
    assert.deepStrictEqual(
      history.slice(0, 3).map((h) => h.status),
      ["rolled-back", "succeeded", "succeeded"],
    )
    assert.strictEqual(history[0]!.rolloutId, killed.rolloutId)
  }, 120_000)
})

describe("operators steer a running deploy from another process", () => {
  it("`promote --full` ends a manual pause, and a second deploy meanwhile is refused without taking over", async () => {
    const deploy = await deployUntilPaused(manualConfig, "4")

    // A second driver must neither start nor steal the first one's control socket.
    const second = await world.run(["deploy", "-c", bakeConfig, "-e", "APP_VERSION=5"])
    assert.strictEqual(second.code, 3, second.stderr)
    assert.match(second.stderr, /another slipway process is driving/)

    const promote = await world.run(["promote", "--full", "-c", manualConfig])
    assert.strictEqual(promote.code, 0, promote.stderr)
    assert.match(promote.stdout, /promote sent to the running rollout/)

    const done = await deploy.done
    assert.strictEqual(done.code, 0, done.stderr)
    const record = (await world.current(APP))!
    assert.strictEqual(record.status, "succeeded")
    assert.deepStrictEqual(
      eventsOf(record, "Promoted").map((e) => e.full),
      [true],
    )
    assert.strictEqual((await world.get()).version, "4")
  }, 120_000)
})
