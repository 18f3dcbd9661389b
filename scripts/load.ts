/**
 * Steady HTTP load from a separate process, for the demo, the end-to-end tests and the
 * benchmarks. Bounded by design: it stops after `--duration` or `--max-requests`, or on
 * SIGTERM/SIGINT, and then prints one JSON summary line.
 *
 *   node scripts/load.ts --url http://127.0.0.1:8080/ --rps 50 --duration 60s [--concurrency 8]
 *
 * While running it prints one JSON line per second: {"t":…, "ok":…, "failed":…, "versions":{…}}.
 */
import { parseArgs } from "node:util"
import { Agent, request } from "undici"
import type { LoadSecond, LoadSummary } from "./LoadReport.ts"

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rps: { type: "string", default: "50" },
    concurrency: { type: "string", default: "8" },
    duration: { type: "string", default: "60" },
    "max-requests": { type: "string", default: "1000000" },
    quiet: { type: "boolean", default: false },
  },
})
if (!values.url) {
  console.error("load: --url is required")
  process.exit(2)
}
const url = values.url
const rps = Number(values.rps)
const concurrency = Number(values.concurrency)
const durationMs = Number.parseFloat(values.duration!) * (values.duration!.endsWith("ms") ? 1 : 1000)
const maxRequests = Number(values["max-requests"])

const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: concurrency })
const summary = {
  sent: 0,
  ok: 0,
  failed: 0,
  statuses: {} as Record<string, number>,
  versions: {} as Record<string, number>,
  errors: {} as Record<string, number>,
  latencyMs: [] as Array<number>,
  failures: [] as Array<{ at: number; status: number | string; version?: string }>,
}
let second = { ok: 0, failed: 0, versions: {} as Record<string, number> }
let stopping = false
const started = Date.now()

const one = async (): Promise<void> => {
  const t0 = performance.now()
  summary.sent++
  try {
    const res = await request(url, { dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 })
    await res.body.dump()
    const version = String(res.headers["x-app-version"] ?? "?")
    summary.statuses[res.statusCode] = (summary.statuses[res.statusCode] ?? 0) + 1
    summary.versions[version] = (summary.versions[version] ?? 0) + 1
    second.versions[version] = (second.versions[version] ?? 0) + 1
    if (res.statusCode < 500) {
      summary.ok++
      second.ok++
    } else {
      summary.failed++
      second.failed++
      if (summary.failures.length < 200)
        summary.failures.push({ at: Date.now(), status: res.statusCode, version })
    }
  } catch (e) {
    const code = (e as { code?: string }).code ?? (e as Error).name
    summary.failed++
    second.failed++
    summary.errors[code] = (summary.errors[code] ?? 0) + 1
    if (summary.failures.length < 200) summary.failures.push({ at: Date.now(), status: code })
  }
  if (summary.latencyMs.length < 100_000) summary.latencyMs.push(performance.now() - t0)
}

// Open-loop pacing: a token every 1000/rps ms, at most `concurrency` requests in flight.
let inFlight = 0
let tokens = 0
const tick = setInterval(() => {
  tokens = Math.min(tokens + rps / 100, rps)
  while (tokens >= 1 && inFlight < concurrency && !stopping && summary.sent < maxRequests) {
    tokens -= 1
    inFlight++
    void one().finally(() => {
      inFlight--
    })
  }
  if (Date.now() - started >= durationMs || summary.sent >= maxRequests) void stop()
}, 10)

const report = setInterval(() => {
  if (!values.quiet) console.log(JSON.stringify({ t: Date.now(), ...second } satisfies LoadSecond))
  second = { ok: 0, failed: 0, versions: {} }
}, 1000)

const stop = async () => {
  if (stopping) return
  stopping = true
  clearInterval(tick)
  clearInterval(report)
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 10))
  await dispatcher.close()
  const sorted = summary.latencyMs.sort((a, b) => a - b)
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
  const { latencyMs: _, ...rest } = summary
  console.log(
    JSON.stringify({
      summary: true,
      ...rest,
      durationMs: Date.now() - started,
      p50: q(0.5),
      p99: q(0.99),
    } satisfies LoadSummary),
  )
  process.exit(0)
}
process.on("SIGTERM", () => void stop())
process.on("SIGINT", () => void stop())
