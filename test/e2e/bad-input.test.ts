/**
 * Bad input is refused with a message that names what to fix and an exit code scripts
 * can rely on (2: bad input, nothing changed; 3: failed) — and whatever served the app
 * before keeps serving it, untouched.
 */
import { createServer, type Server } from "node:net"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { configSource, World } from "./support.ts"

const APP = "oops"
const world = new World("bad-input")
const strategy = `allAtOnce({ scaleDownDelay: "1s" })`
const config = world.write("slipway.config.ts", configSource({ app: APP, strategy }))

let stable = ""
let rolloutsBefore = 0

beforeAll(async () => {
  await world.startAgent()
  const first = await world.run(["deploy", "-c", config, "-e", "APP_VERSION=1"])
  assert.strictEqual(first.code, 0, first.stderr)
  stable = (await world.current(APP))!.candidate.id
  rolloutsBefore = (await world.rollouts(APP)).length
}, 90_000)

afterAll(() => world.cleanup(), 60_000)

/** Nothing changed: no new rollout, all traffic on the stable revision, which answers. */
const untouched = async () => {
  assert.strictEqual((await world.rollouts(APP)).length, rolloutsBefore, "no rollout was started")
  const agent = await world.agentStatus()
  assert.deepStrictEqual(agent.routes[APP], { [stable]: 100 })
  assert.deepStrictEqual(
    agent.revisions.filter((r) => r.desired > 0).map((r) => r.revision),
    [stable],
  )
  const res = await world.get()
  assert.strictEqual(res.status, 200)
  assert.strictEqual(res.version, "1")
}

describe("bad input changes nothing", () => {
  it("an unknown strategy: exit 2, with the name it probably meant", async () => {
    const run = await world.run(["deploy", "-c", config, "--strategy", "canery", "-e", "APP_VERSION=2"])
    assert.strictEqual(run.code, 2)
    assert.match(run.stderr, /unknown strategy "canery" \(did you mean "canary"\?\)/)
    await untouched()
  }, 60_000)

  it("a config with a syntax error: exit 2, naming the file and the line", async () => {
    const file = world.write(
      "syntax.config.ts",
      'export default {\n  app: "oops",\n  run: { command: ["node" },\n}\n',
    )
    const run = await world.run(["deploy", "-c", file])
    assert.strictEqual(run.code, 2)
    assert.match(run.stderr, /syntax\.config\.ts is not a valid slipway config/)
    // Where, and the offending line: Node's own message has neither.
    assert.include(run.stderr, `could not load: Expected ',', got '}' at line 3: run: { command: ["node" },`)
    await untouched()
  }, 60_000)

  it("an invalid app name: exit 2, naming the field and the rule", async () => {
    const file = world.write("name.config.ts", configSource({ app: "Hello_World", strategy }))
    const run = await world.run(["deploy", "-c", file])
    assert.strictEqual(run.code, 2)
    assert.match(run.stderr, /app: "Hello_World" is not a valid name; use 2–40 lowercase letters/)
    await untouched()
  }, 60_000)

  it("a missing run.command: exit 2, naming the field", async () => {
    const file = world.write(
      "command.config.ts",
      configSource({ app: APP, strategy }).replace('command: ["node", "server.js"], ', ""),
    )
    const run = await world.run(["deploy", "-c", file])
    assert.strictEqual(run.code, 2)
    assert.match(run.stderr, /run\.command: missing/)
    await untouched()
  }, 60_000)

  it("a port in use: `agent start` says which port, and exits 3", async () => {
    const held: Server = createServer()
    const port = await new Promise<number>((resolve) =>
      held.listen(0, "127.0.0.1", () => resolve((held.address() as { port: number }).port)),
    )
    try {
      const run = await world.run(["agent", "start", "--port", String(port)], {
        stateDir: world.tempStateDir(),
      })
      assert.strictEqual(run.code, 3)
      assert.match(run.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`))
    } finally {
      await new Promise((resolve) => held.close(resolve))
    }
    await untouched()
  }, 60_000)

  it("a build that writes nothing: a package error, exit 3", async () => {
    const file = world.write(
      "empty.config.ts",
      configSource({ app: APP, strategy, build: '{ path: "app", command: "mkdir -p out", output: "out" }' }),
    )
    const run = await world.run(["deploy", "-c", file])
    assert.strictEqual(run.code, 3)
    assert.match(run.stderr, /build produced no files in app\/out; check `build`\/`output`/)
    await untouched()
  }, 60_000)

  it("a build that fails: exit 3, with the build's last lines", async () => {
    const file = world.write(
      "failing.config.ts",
      configSource({
        app: APP,
        strategy,
        build: `{ path: "app", command: "echo 'src/server.ts(3,1): error TS1005' >&2; exit 7", output: "dist" }`,
      }),
    )
    const run = await world.run(["deploy", "-c", file])
    assert.strictEqual(run.code, 3)
    assert.match(run.stderr, /the build `.*` exited with code 7/)
    assert.match(run.stderr, /\| src\/server\.ts\(3,1\): error TS1005/)
    await untouched()
  }, 60_000)
})
