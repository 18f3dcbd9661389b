/**
 * core `TrafficRouter` for a host that already runs HAProxy: a revision's share is the
 * weight of the backend servers it owns, set through the runtime API.
 *
 * Slots, not dynamic servers. Each revision maps to server lines already declared in
 * haproxy.cfg (`server blue1 127.0.0.1:8081 weight 0` …); this router only changes their
 * weights. HAProxy 2.6's `add server`/`del server` were not used: a dynamic server is not
 * in the config file, so the next `reload` (which a host running HAProxy does on any config
 * change) silently drops the revision that serves traffic; `del server` only works on a
 * server in maintenance with no sessions left, so removing one means waiting for drains
 * the router cannot bound; and dynamic servers are refused by several backend settings.
 * Declared slots survive reloads (their weights fall back to the config's, or to
 * `server-state-file` if the host keeps one — `weights` always reads HAProxy, so a reset
 * is visible). Pointing a slot at a new replica (`set server … addr`) belongs to whatever
 * runs the replicas on that host, not to routing.
 *
 * Order of changes. `setWeights` first raises every server whose weight goes up, then
 * lowers the ones going down (each phase in configuration order). Some server that had
 * weight keeps it until every new one has its own, so HAProxy never sees all weights at 0
 * (which answers 503 "no server available") — the reverse order would, going 100/0 → 0/100.
 * And no revision ever gets more than the larger of its old and new share in between: while
 * the raised servers are at their new weight the lowered ones are still at their old, so the
 * total is at least 100 and a raised revision's share is at most its new one. A canary step
 * never overshoots, even for the few milliseconds the change takes.
 */
import { RouterError, TrafficRouter, type Weights } from "@slipway/core"
import { Effect, Layer } from "effect"
import { weightsProblem } from "../WeightedProxy.ts"
import { checkBackend, type HAProxyBackend, type Slots } from "./Backend.ts"
import type { HAProxyError, StatRow } from "./HAProxyRuntime.ts"

/**
 * How a revision's percent is spread over its servers: exact per revision (the weights of
 * its servers sum to the percent), as even as integers allow within it (the first servers
 * take the remainder). HAProxy weights are 0–256, so percents fit without scaling and
 * `get weight` of a one-server revision reads as its percent.
 *
 * @example
 * import { HAProxyTrafficRouter } from "@slipway/local"
 * HAProxyTrafficRouter.spread(50, 3) // [17, 17, 16]
 */
export const spread = (percent: number, servers: number): ReadonlyArray<number> => {
  const base = Math.floor(percent / servers)
  const extra = percent - base * servers
  return Array.from({ length: servers }, (_, i) => base + (i < extra ? 1 : 0))
}

/**
 * Percents from weights that need not sum to 100 (an operator's, or a reset to the
 * config's): largest remainder, so the result sums to exactly 100. All zero gives `{}`.
 */
const toPercents = (totals: ReadonlyArray<readonly [string, number]>): Weights => {
  const sum = totals.reduce((s, [, w]) => s + w, 0)
  if (sum === 0) return {}
  const exact = totals.map(([r, w]) => [r, (w * 100) / sum] as const)
  const floors = exact.map(([r, x]) => [r, Math.floor(x)] as [string, number])
  let left = 100 - floors.reduce((s, [, w]) => s + w, 0)
  const byRemainder = exact.map(([, x], i) => [i, x - Math.floor(x)] as const).sort((a, b) => b[1] - a[1])
  for (const [i] of byRemainder) {
    if (left === 0) break
    floors[i]![1] += 1
    left--
  }
  return Object.fromEntries(floors)
}

/**
 * `TrafficRouter` over an HAProxy backend whose server slots are mapped to revisions.
 * `setWeights` checks the weights (whole percents summing to 100, revisions it knows)
 * before touching HAProxy, reads the backend once (`show stat`) to find every slot and
 * any unmapped server that would take traffic, sets the weights that change (raises
 * first, see the module comment), and reads every slot back with `get weight`: it
 * returns once HAProxy routes by the new weights, or fails saying which did not take.
 * Configured revisions missing from `weights` get 0. Throws `HAProxyConfigError` for a
 * bad configuration (a non-loopback socket, bad names, a slot mapped twice).
 *
 * @example
 * import { TrafficRouter } from "@slipway/core"
 * import { HAProxyTrafficRouter } from "@slipway/local"
 * import { Effect } from "effect"
 * const router = HAProxyTrafficRouter.layer({
 *   socket: "/run/haproxy/admin.sock",
 *   backend: "hello",
 *   servers: { "hello-3f9c2a7b1d0e": ["blue1"], "hello-9d41e0c2aa17": ["green1"] },
 * })
 * const program = Effect.gen(function* () {
 *   yield* (yield* TrafficRouter).setWeights("hello", { "hello-3f9c2a7b1d0e": 90, "hello-9d41e0c2aa17": 10 })
 * }).pipe(Effect.provide(router))
 */
export const layer = (config: HAProxyBackend): Layer.Layer<TrafficRouter> => {
  const slots = checkBackend(config)
  return Layer.succeed(TrafficRouter, make(slots))
}

const make = (slots: Slots) => {
  const { runtime, backend, revisions, owner } = slots
  const at = `HAProxy backend ${backend} (${runtime.socket})`
  const fail = (message: string, cause?: unknown) =>
    Effect.fail(new RouterError({ message, ...(cause === undefined ? {} : { cause }) }))

  const checkApp = (app: string) =>
    slots.app !== undefined && app !== slots.app
      ? fail(`${at} serves app ${slots.app}, not ${app}`)
      : Effect.void

  // Every slot exists; no server outside the mapping would take a share of the traffic.
  const readBackend = Effect.gen(function* () {
    const rows = yield* runtime
      .showStat(backend)
      .pipe(Effect.catch((e: HAProxyError) => fail(`could not read ${at}: ${e.message}`, e)))
    const byName = new Map<string, StatRow>(rows.map((row) => [row.svname, row]))
    const servers = rows.filter((r) => r.svname !== "BACKEND" && r.svname !== "FRONTEND")
    const missing = [...owner.keys()].filter((s) => !byName.has(s))
    if (missing.length > 0) {
      return yield* fail(
        `${at} has no server ${missing.join(", ")} (it has: ${servers.map((r) => r.svname).join(", ") || "none"}); declare the slots in haproxy.cfg or fix the mapping`,
      )
    }
    const strays = servers.filter(
      (r) => !owner.has(r.svname) && r.bck === 0 && r.uweight > 0 && !r.status.startsWith("MAINT"),
    )
    if (strays.length > 0) {
      return yield* fail(
        `${at} has servers mapped to no revision that would take traffic: ${strays.map((r) => `${r.svname} (weight ${r.uweight})`).join(", ")}; set their weight to 0, put them in maintenance, or map them`,
      )
    }
    return byName
  })

  const setWeights = (app: string, weights: Weights) =>
    Effect.gen(function* () {
      yield* checkApp(app)
      const problem = weightsProblem(weights)
      if (problem !== undefined) return yield* fail(`${app}: ${problem}`)
      const unknown = Object.keys(weights).filter((r) => !revisions.some((x) => x.revision === r))
      if (unknown.length > 0) {
        return yield* fail(
          `${app}: ${at} has no servers for ${unknown.join(", ")}; mapped revisions: ${revisions.map((r) => r.revision).join(", ")}`,
        )
      }
      const rows = yield* readBackend
      const targets = revisions.flatMap(({ revision, servers }) => {
        const share = spread(weights[revision] ?? 0, servers.length)
        return servers.map((server, i) => ({ server, from: rows.get(server)!.uweight, to: share[i]! }))
      })
      const plan = [...targets.filter((t) => t.to > t.from), ...targets.filter((t) => t.to < t.from)]
      const applied: Array<string> = []
      for (const { server, to } of plan) {
        yield* runtime
          .setWeight(backend, server, to)
          .pipe(
            Effect.catch((e: HAProxyError) =>
              fail(
                `${app}: ${e.message}${applied.length > 0 ? ` (already applied: ${applied.join(", ")}; no server was left without weight)` : " (nothing was changed)"}`,
                e,
              ),
            ),
          )
        applied.push(`${server}=${to}`)
      }
      const wrong: Array<string> = []
      for (const { server, to } of targets) {
        const read = yield* runtime
          .getWeight(backend, server)
          .pipe(
            Effect.catch((e: HAProxyError) => fail(`${app}: could not read back weights: ${e.message}`, e)),
          )
        if (read.current !== to) wrong.push(`${server} is ${read.current}, expected ${to}`)
      }
      if (wrong.length > 0) {
        return yield* fail(`${app}: ${at} did not take the weights: ${wrong.join("; ")}`)
      }
    })

  const readWeights = (app: string) =>
    Effect.gen(function* () {
      yield* checkApp(app)
      const totals: Array<readonly [string, number]> = []
      for (const { revision, servers } of revisions) {
        let total = 0
        for (const server of servers) {
          const read = yield* runtime
            .getWeight(backend, server)
            .pipe(Effect.catch((e: HAProxyError) => fail(`${app}: could not read weights: ${e.message}`, e)))
          total += read.current
        }
        totals.push([revision, total])
      }
      return toPercents(totals)
    })

  return TrafficRouter.of({ setWeights, weights: readWeights })
}
