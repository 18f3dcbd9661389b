/**
 * Closed-loop HTTP load with a fixed number of connections for a fixed time: `wrk` when
 * it is installed (`apt-get install -y wrk`), otherwise a loop over undici in a separate
 * process (bench/fixtures/undici-load.ts). Both report throughput and latency
 * percentiles the same way.
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import type { Processes } from "./Processes.ts"

/** What one load run measured. */
export interface LoadResult {
  readonly tool: "wrk" | "undici"
  readonly connections: number
  readonly durationS: number
  readonly requests: number
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Non-2xx/3xx answers plus connection errors and timeouts. */
  readonly errors: number
}

/** The `wrk` on PATH with its version line, or `undefined`. */
export const findWrk = (): string | undefined => {
  const r = spawnSync("wrk", ["--version"], { encoding: "utf8", timeout: 5_000 })
  if (r.error !== undefined) return undefined
  // wrk prints its version (and usage) and exits 1.
  const line = `${r.stdout}${r.stderr}`.split("\n").find((l) => l.startsWith("wrk "))
  // "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer" → "wrk debian/4.1.0-3+b2"
  return line?.replace(/\s*\[.*$/, "").trim() ?? "wrk"
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000 }

const durationMs = (text: string): number => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (m === null) throw new Error(`wrk: cannot read the duration "${text}"`)
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

/**
 * Reads wrk's report (run with `--latency`).
 *
 * @example
 * parseWrkOutput(stdout) // { requests: 202288, requestsPerSecond: 20227.06, p50Ms: 1.54, p99Ms: 2.57, errors: 0 }
 */
export const parseWrkOutput = (
  text: string,
): Pick<LoadResult, "requests" | "requestsPerSecond" | "p50Ms" | "p99Ms" | "errors"> => {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text)
  const requests = /(\d+) requests in /.exec(text)
  const p50 = /^\s*50%\s+(\S+)/m.exec(text)
  const p99 = /^\s*99%\s+(\S+)/m.exec(text)
  if (rps === null || requests === null || p50 === null || p99 === null) {
    throw new Error(`wrk: unexpected output (was it run with --latency?):\n${text}`)
  }
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const socketErrors = socket === null ? 0 : socket.slice(1, 5).reduce((n, v) => n + Number(v), 0)
  return {
    requests: Number(requests[1]),
    requestsPerSecond: Number(rps[1]),
    p50Ms: durationMs(p50[1]!),
    p99Ms: durationMs(p99[1]!),
    errors: (non2xx === null ? 0 : Number(non2xx[1])) + socketErrors,
  }
}

/** How to generate load. */
export interface LoadOptions {
  readonly url: string
  readonly connections: number
  readonly durationS: number
}

/**
 * A load generator bound to the tool found on this machine.
 *
 * @example
 * const load = loadGenerator(ctx.procs, ctx.node, ctx.root)
 * const result = await load.run({ url: "http://127.0.0.1:8080/", connections: 32, durationS: 10 })
 */
export const loadGenerator = (
  procs: Processes,
  node: ReadonlyArray<string>,
  root: string,
): { readonly description: string; readonly run: (options: LoadOptions) => Promise<LoadResult> } => {
  const wrk = findWrk()
  if (wrk !== undefined) {
    return {
      description: `${wrk} (1 thread, closed loop)`,
      run: async ({ url, connections, durationS }) => {
        // One wrk thread drives >40k req/s on loopback and leaves the other core to the servers.
        const r = await procs.run(
          "wrk",
          ["-t1", `-c${connections}`, `-d${durationS}s`, "--latency", "--timeout", "5s", url],
          { timeoutMs: (durationS + 30) * 1_000 },
        )
        const text = r.stdout.map((l) => l.text).join("\n")
        if (r.code !== 0) throw new Error(`wrk exited ${r.code}: ${r.stderr}${text}`)
        return { tool: "wrk", connections, durationS, ...parseWrkOutput(text) }
      },
    }
  }
  return {
    description: "undici closed loop in a separate process (wrk is not installed: apt-get install -y wrk)",
    run: async ({ url, connections, durationS }) => {
      const r = await procs.run(
        node[0]!,
        [
          ...node.slice(1),
          join(root, "bench", "fixtures", "undici-load.ts"),
          "--url",
          url,
          "--connections",
          String(connections),
          "--duration",
          String(durationS),
        ],
        { timeoutMs: (durationS + 30) * 1_000 },
      )
      const last = r.stdout.at(-1)?.text
      if (r.code !== 0 || last === undefined) throw new Error(`undici load exited ${r.code}: ${r.stderr}`)
      const parsed = JSON.parse(last) as Omit<LoadResult, "tool" | "connections" | "durationS">
      return { tool: "undici", connections, durationS, ...parsed }
    },
  }
}
