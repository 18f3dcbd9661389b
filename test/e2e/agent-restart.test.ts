/**
 * The agent remembers what it serves (agent/desired.json): stopped and started again, or
 * killed with -9 and started again, it comes back on the same port serving the last
 * promoted revision — and a killed agent's replicas, left running, are stopped rather
 * than kept next to the new ones.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { configSource, isRunning, replicaProcesses, World, waitFor } from "./support.ts"

const APP = "again"
const world = new World("agent-restart")
const config = world.write(
  "slipway.config.ts",
  configSource({ app: APP, strategy: `allAtOnce({ scaleDownDelay: "1s" })` }),
)

let port = 0
let promoted = ""

/** What desired.json says the agent should run. */
const desired = () =>
  JSON.parse(readFileSync(join(world.stateDir, "agent", "desired.json"), "utf8")) as {
    revisions: Record<string, { replicas: number }>
    weights: Record<string, Record<string, number>>
  }

/** Requests fail: nothing listens on the proxy port (a connection caught mid-teardown may be reset first). */
const refused = () =>
  waitFor("the proxy port to refuse connections", () =>
    world.get().then(
      () => undefined,
      (e: { code?: string }) => (e.code === "ECONNREFUSED" ? true : undefined),
    ),
  )

/** The promoted revision answers every request, at full size. */
const servesPromoted = async () => {
  for (let i = 0; i < 10; i++) {
    const res = await world.get()
    assert.strictEqual(res.status, 200)
    assert.strictEqual(res.version, "2")
  }
  const agent = await world.agentStatus()
  assert.deepStrictEqual(agent.routes[APP], desired().weights[APP])
  assert.deepStrictEqual(
    agent.revisions.filter((r) => r.desired > 0).map((r) => [r.revision, r.ready]),
    [[promoted, 2]],
  )
  assert.strictEqual(
    replicaProcesses(world.stateDir).length,
    2,
    "exactly the promoted revision's replicas run",
  )
}

beforeAll(async () => {
  port = Number(new URL((await world.startAgent()).proxyUrl).port)
  for (const version of ["1", "2"]) {
    const deploy = await world.run(["deploy", "-c", config, "-e", `APP_VERSION=${version}`])
    assert.strictEqual(deploy.code, 0, deploy.stderr)
  }
  promoted = (await world.current(APP))!.candidate.id
}, 90_000)

afterAll(() => world.cleanup(), 60_000)

describe("agent restart", () => {
  it("`agent stop` then `agent start`: back on the same port with the last promoted revision", async () => {
    assert.deepStrictEqual(Object.keys(desired().revisions), [promoted])
    const stop = await world.run(["agent", "stop"])
    assert.strictEqual(stop.code, 0, stop.stderr)
    await refused()
    assert.deepStrictEqual(replicaProcesses(world.stateDir), [], "a stopped agent stops its replicas")

    const info = await world.startAgent(port)
    assert.strictEqual(new URL(info.proxyUrl).port, String(port))
    await servesPromoted()
  }, 90_000)

  it("`kill -9` of the agent then `agent start`: serving again, the orphaned replicas stopped", async () => {
    const before = (await world.agentStatus()).pid
    const orphans = replicaProcesses(world.stateDir)
    assert.strictEqual(orphans.length, 2)
    process.kill(before, "SIGKILL")
    await waitFor("the agent to die", () => (isRunning(before) ? undefined : true))
    await refused()
    // Replicas run in their own process groups: killed outright, the agent leaves them running.
    assert.isTrue(orphans.every(isRunning))

    const info = await world.startAgent(port)
    assert.notStrictEqual(info.pid, before)
    assert.isFalse(orphans.some(isRunning), "the new agent stopped the replicas its predecessor left")
    await servesPromoted()
    assert.match(
      readFileSync(join(world.stateDir, "agent.log"), "utf8"),
      /stopped 2 replica process\(es\) left by a previous agent/,
    )
  }, 90_000)
})
