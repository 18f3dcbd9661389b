/**
 * proxy: what Slipway's weighted proxy costs in front of an app — throughput and latency
 * through `WeightedProxy` (two revisions at 50/50), directly to the app, and through
 * HAProxy with the same two weighted servers, all measured in this run with the same
 * load generator.
 *
 * Each target gets a warm-up, then a throughput run (32 connections; its latencies are
 * mostly queueing: p50 ≈ connections ÷ throughput) and a one-connection run whose p50 is
 * the per-request cost of the hop. The "added p50" target is judged on the latter.
 *
 * Two more figures separate what Slipway's code costs from what its stack costs: the
 * proxy's own CPU time per request (from /proc, so the load generator and upstreams
 * sharing the cores do not blur it), and a "stack floor" proxy — node:http plus undici
 * with nothing of Slipway's (bench/fixtures/stack-floor-proxy.ts) — measured beside it.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { freePort } from "@slipway/local"
import { Effect } from "effect"
import type { BenchContext, Benchmark } from "../lib/Benchmark.ts"
import { figure } from "../lib/Figures.ts"
import { findHAProxy, startHAProxy } from "../lib/HAProxy.ts"
import { type LoadResult, loadGenerator } from "../lib/LoadGenerator.ts"

const CONNECTIONS = 32
const DURATION_S = 10
const LATENCY_S = 3
const WARMUP_S = 2

interface Measured {
  readonly throughput: LoadResult
  readonly latency: LoadResult
  /** The proxy's CPU time (user + system) per request of the throughput run, µs. */
  readonly cpuUsPerRequest: number | undefined
}

const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100

/** CPU seconds (user + system) `pid` has used so far, or `undefined` off Linux. */
const cpuSeconds = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / clockTicks
  } catch {
    return undefined
  }
}

const start = async (
  ctx: BenchContext,
  command: string,
  args: ReadonlyArray<string>,
  what: string,
): Promise<{ readonly port: number; readonly pid: number | undefined }> => {
  const running = ctx.procs.start(command, args)
  const line = await running.waitForLine((l) => l.startsWith('{"port"'), 15_000)
  const port = (JSON.parse(line.text) as { port: number }).port
  ctx.log(`${what} on 127.0.0.1:${port}`)
  return { port, pid: running.child.pid }
}

export const proxy: Benchmark = {
  name: "proxy",
  title: "proxy throughput and latency: WeightedProxy vs direct vs HAProxy",
  timeoutMs: 180_000,
  run: async (ctx) => {
    const load = loadGenerator(ctx.procs, ctx.node, ctx.root)
    ctx.note(
      `load: ${load.description}; per target a ${WARMUP_S} s warm-up, ${CONNECTIONS} connections × ${DURATION_S} s (throughput), then 1 connection × ${LATENCY_S} s (per-hop latency)`,
    )
    const fixture = (file: string) => join(ctx.root, "bench", "fixtures", file)
    const appA = (await start(ctx, ctx.node[0], [fixture("app-server.ts"), "--name", "a"], "app a")).port
    const appB = (await start(ctx, ctx.node[0], [fixture("app-server.ts"), "--name", "b"], "app b")).port
    ctx.note(
      "upstreams: two minimal Node HTTP servers (bench/fixtures/app-server.ts); direct = app a alone, proxies split 50/50 over a and b",
    )

    const measure = async (name: string, url: string, pid?: number): Promise<Measured> => {
      ctx.log(`${name}: warm-up`)
      await load.run({ url, connections: CONNECTIONS, durationS: WARMUP_S })
      ctx.log(`${name}: ${CONNECTIONS} connections × ${DURATION_S} s`)
      const cpuBefore = cpuSeconds(pid)
      const throughput = await load.run({ url, connections: CONNECTIONS, durationS: DURATION_S })
      const cpuAfter = cpuSeconds(pid)
      if (throughput.requests === 0) throw new Error(`${name}: no request was answered in ${DURATION_S} s`)
      const cpuUsPerRequest =
        cpuBefore === undefined || cpuAfter === undefined || throughput.requests === 0
          ? undefined
          : ((cpuAfter - cpuBefore) * 1e6) / throughput.requests
      ctx.log(`${name}: 1 connection × ${LATENCY_S} s`)
      const latency = await load.run({ url, connections: 1, durationS: LATENCY_S })
      ctx.log(
        `${name}: ${throughput.requestsPerSecond.toFixed(0)} req/s, p50 ${throughput.p50Ms} ms; 1 conn p50 ${latency.p50Ms} ms`,
      )
      return { throughput, latency, cpuUsPerRequest }
    }

    const direct = await measure("direct", `http://127.0.0.1:${appA}/`)

    // A Node proxy fixture in front of both apps, measured like the others.
    const throughFixture = async (name: string, file: string, upstreams: ReadonlyArray<string>) => {
      const args = [...ctx.node.slice(1), fixture(file), ...upstreams.flatMap((u) => ["--upstream", u])]
      const proxy = await start(ctx, ctx.node[0], args, name)
      return measure(name, `http://127.0.0.1:${proxy.port}/`, proxy.pid)
    }
    const slipway = await throughFixture("slipway", "proxy-server.ts", [
      `127.0.0.1:${appA}=50`,
      `127.0.0.1:${appB}=50`,
    ])
    const floor = await throughFixture("stack floor", "stack-floor-proxy.ts", [
      `127.0.0.1:${appA}`,
      `127.0.0.1:${appB}`,
    ])
    ctx.note(
      "stack floor: node:http + undici Pool with the same check-phase batching and nothing else (bench/fixtures/stack-floor-proxy.ts): what any proxy on this stack pays",
    )

    const haproxyVersion = findHAProxy()
    let haproxy: Measured | undefined
    if (haproxyVersion === undefined) {
      ctx.note("HAProxy is not installed (apt-get install -y haproxy): its comparison is skipped")
    } else {
      const dir = join(ctx.tmp, "haproxy")
      mkdirSync(dir, { recursive: true })
      const port = await Effect.runPromise(freePort())
      const running = await startHAProxy(ctx.procs, dir, port, [
        { name: "a", address: `127.0.0.1:${appA}`, weight: 50 },
        { name: "b", address: `127.0.0.1:${appB}`, weight: 50 },
      ])
      ctx.note(
        `reference: ${haproxyVersion}, 1 thread, roundrobin over a and b with weights 50/50 set through the runtime API socket`,
      )
      haproxy = await measure("haproxy", `http://127.0.0.1:${port}/`, running.child.pid)
    }

    const rps = (m: Measured) => m.throughput.requestsPerSecond
    const directRef = (value: number) => ({ label: "direct", value })
    ctx.record(figure(`direct throughput (${CONNECTIONS} conns)`, rps(direct), "req/s"))
    ctx.record(
      figure("Slipway proxy throughput", rps(slipway), "req/s", { reference: directRef(rps(direct)) }),
    )
    ctx.record(
      figure("Slipway vs stack floor throughput", rps(slipway), "req/s", {
        reference: { label: "stack floor", value: rps(floor) },
      }),
    )
    if (haproxy !== undefined) {
      ctx.record(figure("HAProxy throughput", rps(haproxy), "req/s", { reference: directRef(rps(direct)) }))
      ctx.record(
        figure("Slipway vs HAProxy throughput", rps(slipway), "req/s", {
          reference: { label: "HAProxy", value: rps(haproxy) },
          target: { op: ">=", limit: 0.6, on: "ratio" },
        }),
      )
    }
    // CPU figures need /proc (Linux); elsewhere they are left out.
    if (slipway.cpuUsPerRequest !== undefined && floor.cpuUsPerRequest !== undefined) {
      ctx.record(
        figure("Slipway proxy CPU per request", slipway.cpuUsPerRequest, "µs", {
          reference: { label: "stack floor", value: floor.cpuUsPerRequest },
        }),
      )
      if (haproxy?.cpuUsPerRequest !== undefined) {
        ctx.record(
          figure("HAProxy CPU per request", haproxy.cpuUsPerRequest, "µs", {
            reference: { label: "Slipway", value: slipway.cpuUsPerRequest },
          }),
        )
      }
    }
    ctx.record(figure(`direct p50 (${CONNECTIONS} conns)`, direct.throughput.p50Ms, "ms"))
    ctx.record(
      figure(`Slipway p50 (${CONNECTIONS} conns)`, slipway.throughput.p50Ms, "ms", {
        reference: directRef(direct.throughput.p50Ms),
      }),
    )
    ctx.record(
      figure(`Slipway p99 (${CONNECTIONS} conns)`, slipway.throughput.p99Ms, "ms", {
        reference: directRef(direct.throughput.p99Ms),
      }),
    )
    if (haproxy !== undefined) {
      ctx.record(
        figure(`HAProxy p50 (${CONNECTIONS} conns)`, haproxy.throughput.p50Ms, "ms", {
          reference: directRef(direct.throughput.p50Ms),
        }),
      )
      ctx.record(
        figure(`HAProxy p99 (${CONNECTIONS} conns)`, haproxy.throughput.p99Ms, "ms", {
          reference: directRef(direct.throughput.p99Ms),
        }),
      )
    }
    ctx.record(figure("direct p50 (1 conn)", direct.latency.p50Ms, "ms"))
    ctx.record(
      figure("Slipway added p50 (1 conn)", slipway.latency.p50Ms - direct.latency.p50Ms, "ms", {
        target: { op: "<=", limit: 1 },
      }),
    )
    ctx.record(
      figure("Slipway p99 (1 conn)", slipway.latency.p99Ms, "ms", {
        reference: directRef(direct.latency.p99Ms),
      }),
    )
    if (haproxy !== undefined) {
      ctx.record(figure("HAProxy added p50 (1 conn)", haproxy.latency.p50Ms - direct.latency.p50Ms, "ms"))
    }
    ctx.record(
      figure(
        `Slipway added p50 (${CONNECTIONS} conns, queueing included)`,
        slipway.throughput.p50Ms - direct.throughput.p50Ms,
        "ms",
        { target: { op: "<=", limit: 1 } },
      ),
    )
    const runs = [direct, slipway, floor, ...(haproxy ? [haproxy] : [])]
    const errors = runs.reduce((n, m) => n + m.throughput.errors + m.latency.errors, 0)
    ctx.record(figure("failed requests (all measured runs)", errors, ""))
    ctx.note(
      "2 shared cores: load generator, proxy and upstreams compete for them and for whatever else runs (see the load average), so absolute req/s can differ by up to 2× between runs; compare the ratios, whose targets are measured back to back in one run",
    )
  },
}
