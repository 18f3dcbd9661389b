import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TrafficRouter } from "@slipway/core"
import { Effect, Fiber, Result } from "effect"
import { TestClock } from "effect/testing"
import { HAProxyConfigError, make, parseAddress, parseShowStat } from "../../src/haproxy/HAProxyRuntime.ts"
import * as HAProxyTrafficRouter from "../../src/haproxy/HAProxyTrafficRouter.ts"
import { type FakeHAProxy, fakeHAProxy } from "./fakeHAProxy.ts"

const BLUE = "hello-3f9c2a7b1d0e"
const GREEN = "hello-9d41e0c2aa17"

const routerOver = (fake: FakeHAProxy, servers: Record<string, ReadonlyArray<string>>, app?: string) =>
  Effect.gen(function* () {
    return yield* TrafficRouter
  }).pipe(
    Effect.provide(
      HAProxyTrafficRouter.layer({ socket: fake.socket, backend: "app", servers, ...(app ? { app } : {}) }),
    ),
  )

const failure = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const result = yield* Effect.result(effect)
    assert.isTrue(Result.isFailure(result), "expected a failure")
    return (result as Result.Failure<A, E>).failure
  })

describe("HAProxyTrafficRouter over the runtime API", () => {
  it.live("raises the gaining server first, lowers the losing one last, and reads every weight back", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100, green1: 0 })
      const router = yield* routerOver(fake, { [BLUE]: ["blue1"], [GREEN]: ["green1"] })
      yield* router.setWeights("hello", { [BLUE]: 10, [GREEN]: 90 })
      assert.deepStrictEqual(fake.commands, [
        "show stat app 4 -1",
        "set weight app/green1 90",
        "set weight app/blue1 10",
        "get weight app/blue1",
        "get weight app/green1",
      ])
      assert.deepStrictEqual(yield* router.weights("hello"), { [BLUE]: 10, [GREEN]: 90 })
    }),
  )

  it.live("never leaves the backend without weight, and no revision overshoots its old and new share", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { b1: 50, b2: 50, g1: 0, g2: 0, g3: 0 })
      const router = yield* routerOver(fake, { [BLUE]: ["b1", "b2"], [GREEN]: ["g1", "g2", "g3"] })
      const shares = (w: Readonly<Record<string, number>>) => {
        const blue = w.b1! + w.b2!
        const all = blue + w.g1! + w.g2! + w.g3!
        return { all, blue: (blue * 100) / all }
      }
      const steps: ReadonlyArray<readonly [number, number]> = [
        [100, 0],
        [90, 10],
        [50, 50],
        [0, 100],
        [100, 0],
      ]
      for (let i = 1; i < steps.length; i++) {
        const [fromBlue] = steps[i - 1]!
        const [toBlue, toGreen] = steps[i]!
        fake.history.length = 0
        yield* router.setWeights("hello", { [BLUE]: toBlue, [GREEN]: toGreen })
        for (const state of fake.history) {
          const { all, blue } = shares(state)
          assert.isAbove(all, 0, `all weights 0 between ${fromBlue} and ${toBlue}`)
          assert.isAtMost(blue, Math.max(fromBlue, toBlue) + 1e-9)
          assert.isAtMost(100 - blue, Math.max(100 - fromBlue, 100 - toBlue) + 1e-9)
        }
        assert.deepStrictEqual(yield* router.weights("hello"), { [BLUE]: toBlue, [GREEN]: toGreen })
      }
      // 50% over three servers: exact for the revision, within 1 between its servers.
      yield* router.setWeights("hello", { [BLUE]: 50, [GREEN]: 50 })
      assert.deepStrictEqual(Object.fromEntries([...fake.servers].map(([n, s]) => [n, s.weight])), {
        b1: 25,
        b2: 25,
        g1: 17,
        g2: 17,
        g3: 16,
      })
    }),
  )

  it.live(
    "invalid weights, unknown revisions and another app's weights are refused before anything is sent",
    () =>
      Effect.gen(function* () {
        const fake = yield* fakeHAProxy("app", { blue1: 100, green1: 0 })
        const router = yield* routerOver(fake, { [BLUE]: ["blue1"], [GREEN]: ["green1"] }, "hello")
        const sum = yield* failure(router.setWeights("hello", { [BLUE]: 90, [GREEN]: 20 }))
        assert.include(sum.message, "weights sum to 110, not 100")
        const fraction = yield* failure(router.setWeights("hello", { [BLUE]: 99.5, [GREEN]: 0.5 }))
        assert.include(fraction.message, "use a whole percent 0..100")
        const unknown = yield* failure(router.setWeights("hello", { [BLUE]: 50, "hello-000000000000": 50 }))
        assert.include(unknown.message, "has no servers for hello-000000000000")
        assert.include(unknown.message, `mapped revisions: ${BLUE}, ${GREEN}`)
        const other = yield* failure(router.setWeights("shop", { [BLUE]: 100 }))
        assert.include(other.message, "serves app hello, not shop")
        assert.deepStrictEqual(fake.commands, [])
      }),
  )

  it.live("a slot missing from the backend fails after reading it, naming the slot and what exists", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100, green1: 0 })
      const router = yield* routerOver(fake, { [BLUE]: ["blue1"], [GREEN]: ["green9"] })
      const error = yield* failure(router.setWeights("hello", { [BLUE]: 50, [GREEN]: 50 }))
      assert.strictEqual(
        error.message,
        `HAProxy backend app (${fake.socket}) has no server green9 (it has: blue1, green1); declare the slots in haproxy.cfg or fix the mapping`,
      )
      assert.deepStrictEqual(fake.commands, ["show stat app 4 -1"])
    }),
  )

  it.live("an unknown backend is reported with HAProxy's answer", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100 })
      const router = yield* TrafficRouter.pipe(
        Effect.provide(
          HAProxyTrafficRouter.layer({ socket: fake.socket, backend: "web", servers: { [BLUE]: ["blue1"] } }),
        ),
      )
      const error = yield* failure(router.setWeights("hello", { [BLUE]: 100 }))
      assert.strictEqual(
        error.message,
        `could not read HAProxy backend web (${fake.socket}): HAProxy at ${fake.socket} refused "show stat web 4 -1": No such proxy.`,
      )
    }),
  )

  it.live("an unmapped server that would take traffic is refused before any weight changes", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100, green1: 0, spare: 5 })
      const router = yield* routerOver(fake, { [BLUE]: ["blue1"], [GREEN]: ["green1"] })
      const error = yield* failure(router.setWeights("hello", { [BLUE]: 50, [GREEN]: 50 }))
      assert.include(error.message, "servers mapped to no revision that would take traffic: spare (weight 5)")
      assert.deepStrictEqual(fake.commands, ["show stat app 4 -1"])
      // In maintenance it takes nothing, so it is no obstacle.
      fake.servers.get("spare")!.status = "MAINT"
      yield* router.setWeights("hello", { [BLUE]: 50, [GREEN]: 50 })
    }),
  )

  it.live("a weight HAProxy refuses fails with its answer and says what was already applied", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100, green1: 0 })
      const router = yield* routerOver(fake, { [BLUE]: ["blue1"], [GREEN]: ["green1"] })
      const refusal = "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'."
      fake.refuse.set("green1", refusal)
      const first = yield* failure(router.setWeights("hello", { [BLUE]: 80, [GREEN]: 20 }))
      assert.strictEqual(
        first.message,
        `hello: HAProxy at ${fake.socket} refused "set weight app/green1 20": ${refusal} (nothing was changed)`,
      )
      fake.refuse.delete("green1")
      fake.refuse.set("blue1", refusal)
      const second = yield* failure(router.setWeights("hello", { [BLUE]: 80, [GREEN]: 20 }))
      assert.include(second.message, "(already applied: green1=20; no server was left without weight)")
      assert.deepStrictEqual(fake.commands.slice(-2), ["set weight app/green1 20", "set weight app/blue1 80"])
    }),
  )

  it.live("a weight HAProxy accepted but did not take is caught by the read-back", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100, green1: 0 })
      const router = yield* routerOver(fake, { [BLUE]: ["blue1"], [GREEN]: ["green1"] })
      fake.ignore.add("blue1")
      const error = yield* failure(router.setWeights("hello", { [BLUE]: 70, [GREEN]: 30 }))
      assert.strictEqual(
        error.message,
        `hello: HAProxy backend app (${fake.socket}) did not take the weights: blue1 is 100, expected 70`,
      )
    }),
  )

  it.live("a missing socket is a clear error naming the socket and the command", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "slipway-haproxy-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const socket = join(dir, "missing.sock")
      const router = yield* TrafficRouter.pipe(
        Effect.provide(
          HAProxyTrafficRouter.layer({ socket, backend: "app", servers: { [BLUE]: ["blue1"] } }),
        ),
      )
      const error = yield* failure(router.setWeights("hello", { [BLUE]: 100 }))
      assert.strictEqual(
        error.message,
        `could not read HAProxy backend app (${socket}): HAProxy runtime API at ${socket} did not answer "show stat app 4 -1": no such socket (is HAProxy running, with a \`stats socket\` line at this path?)`,
      )
    }),
  )
})

describe("HAProxyRuntime", () => {
  it("accepts unix sockets and loopback addresses only", () => {
    assert.deepStrictEqual(parseAddress("/run/haproxy/admin.sock"), {
      _tag: "Unix",
      path: "/run/haproxy/admin.sock",
    })
    assert.deepStrictEqual(parseAddress("unix@/run/h.sock"), { _tag: "Unix", path: "/run/h.sock" })
    assert.deepStrictEqual(parseAddress("ipv4@127.0.0.1:9999"), {
      _tag: "Tcp",
      host: "127.0.0.1",
      port: 9999,
    })
    assert.deepStrictEqual(parseAddress("[::1]:9999"), { _tag: "Tcp", host: "::1", port: 9999 })
    for (const refused of [
      "10.0.0.7:9999",
      "0.0.0.0:9999",
      "localhost:9999",
      "haproxy.internal:9999",
      "[::]:9999",
      "",
    ]) {
      assert.throws(() => parseAddress(refused), HAProxyConfigError)
    }
    assert.throws(
      () => HAProxyTrafficRouter.layer({ socket: "/s", backend: "app", servers: { a: ["x"], b: ["x"] } }),
      /server app\/x is also mapped to a/,
    )
    assert.throws(
      () => HAProxyTrafficRouter.layer({ socket: "/s", backend: "app x", servers: { a: ["x"] } }),
      /not an HAProxy name/,
    )
  })

  it.live("never sends a command that could smuggle a second one", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100 })
      const runtime = make(fake.socket)
      const error = yield* failure(runtime.command("show info; shutdown sessions server app/blue1"))
      assert.strictEqual(error._tag, "HAProxyCommandFailed")
      assert.deepStrictEqual(fake.commands, [])
    }),
  )

  it.effect("gives up on a runtime API that does not answer within the timeout", () =>
    Effect.gen(function* () {
      const fake = yield* fakeHAProxy("app", { blue1: 100 })
      fake.silent = true
      const runtime = make(fake.socket, { timeout: "2s" })
      const fiber = yield* Effect.forkChild(Effect.result(runtime.getWeight("app", "blue1")))
      yield* Effect.promise(() => waitFor(() => fake.commands.length === 1))
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(Result.isFailure(result))
      assert.strictEqual(
        (result as Result.Failure<unknown, { message: string }>).failure.message,
        `HAProxy runtime API at ${fake.socket} did not answer "get weight app/blue1": no answer within 2s`,
      )
    }),
  )

  it("parses show stat rows of HAProxy 2.6", () => {
    const csv = [
      "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,",
      "app,a,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,50,1,0,,,3,,,1,3,1,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18932,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,50,,,,-,0,0,",
      "app,b,0,0,2,3,,318,0,0,,0,,1,2,0,0,UP,20,1,0,,,3,,,1,3,2,,0,,2,0,,0,,,,0,300,4,10,4,0,,,,0,0,0,,,,,-1,,,1,0,12,15,,,,,,,,,,,,127.0.0.1:18933,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,20,,,,-,0,0,",
    ].join("\n")
    const [a, b] = parseShowStat(csv)
    assert.strictEqual(a?.status, "no check")
    assert.strictEqual(a?.weight, 50)
    assert.deepStrictEqual(b && { ...b, raw: undefined }, {
      pxname: "app",
      svname: "b",
      status: "UP",
      weight: 20,
      uweight: 20,
      bck: 0,
      scur: 2,
      stot: 318,
      econ: 1,
      eresp: 2,
      hrsp_1xx: 0,
      hrsp_2xx: 300,
      hrsp_3xx: 4,
      hrsp_4xx: 10,
      hrsp_5xx: 4,
      hrsp_other: 0,
      qtime: 1,
      ctime: 0,
      rtime: 12,
      ttime: 15,
      raw: undefined,
    })
    assert.throws(() => parseShowStat("No such proxy."), /no "# pxname,svname,…" header/)
  })
})

const waitFor = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10))
}
