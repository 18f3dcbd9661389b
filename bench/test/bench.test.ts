/**
 * The benchmark runner's own logic: its command line, how figures are judged and
 * formatted, and how wrk's report is read. No benchmark runs here and nothing is timed.
 */
import { assert, describe, it } from "@effect/vitest"
import { BenchUsageError, parseBenchArgs } from "../lib/Args.ts"
import {
  type BenchResult,
  figure,
  formatRatio,
  formatTable,
  formatValue,
  markdownSummary,
} from "../lib/Figures.ts"
import { parseWrkOutput } from "../lib/LoadGenerator.ts"

const known = ["proxy", "detection", "rollout", "zip", "mock"]

const usageError = (argv: ReadonlyArray<string>): BenchUsageError => {
  try {
    parseBenchArgs(argv, known)
  } catch (e) {
    if (e instanceof BenchUsageError) return e
    throw e
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`)
}

describe("runner arguments", () => {
  it("runs every benchmark, in registry order, when none is named", () => {
    assert.deepStrictEqual(parseBenchArgs([], known), {
      selected: known,
      save: true,
      help: false,
      list: false,
    })
  })

  it("runs the named ones once each, in registry order", () => {
    assert.deepStrictEqual(parseBenchArgs(["zip", "proxy", "zip"], known).selected, ["proxy", "zip"])
  })

  it("ignores the `--` pnpm may pass through and reads --no-save", () => {
    const args = parseBenchArgs(["--", "mock", "--no-save"], known)
    assert.deepStrictEqual(args.selected, ["mock"])
    assert.isFalse(args.save)
  })

  it("refuses an unknown benchmark, listing the known ones", () => {
    const e = usageError(["proxi"])
    assert.include(e.message, '"proxi"')
    assert.include(e.message, "proxy, detection, rollout, zip, mock")
  })

  it("refuses an unknown flag with the usage line", () => {
    assert.include(usageError(["--fast"]).message, "Usage: pnpm bench [proxy|detection|rollout|zip|mock]")
  })
})

describe("figures", () => {
  it("computes the ratio to the reference and judges a ratio target", () => {
    const f = figure("Slipway vs HAProxy", 6_000, "req/s", {
      reference: { label: "HAProxy", value: 10_000 },
      target: { op: ">=", limit: 0.6, on: "ratio" },
    })
    assert.strictEqual(f.ratio, 0.6)
    assert.strictEqual(f.status, "PASS")
    const below = figure("Slipway vs HAProxy", 5_999, "req/s", {
      reference: { label: "HAProxy", value: 10_000 },
      target: { op: ">=", limit: 0.6, on: "ratio" },
    })
    assert.strictEqual(below.status, "MISS")
  })

  it("judges a value target and reports MISS when there is nothing to compare", () => {
    assert.strictEqual(figure("added p50", 1.2, "ms", { target: { op: "<=", limit: 1 } }).status, "MISS")
    assert.strictEqual(figure("added p50", 0.4, "ms", { target: { op: "<=", limit: 1 } }).status, "PASS")
    const noReference = figure("vs HAProxy", 100, "req/s", { target: { op: ">=", limit: 0.6, on: "ratio" } })
    assert.isUndefined(noReference.ratio)
    assert.strictEqual(noReference.status, "MISS")
  })

  it("has no ratio against a zero reference and no status without a target", () => {
    const f = figure("failed requests", 3, "", { reference: { label: "direct", value: 0 } })
    assert.isUndefined(f.ratio)
    assert.isUndefined(f.status)
  })

  it("has no ratio when either side is not a number, so none is saved as null", () => {
    const f = figure("CPU per request", 30, "µs", { reference: { label: "stack floor", value: Number.NaN } })
    assert.isUndefined(f.ratio)
    assert.notProperty(JSON.parse(JSON.stringify(f)), "ratio")
    const g = figure("CPU per request", Number.NaN, "µs", { reference: { label: "stack floor", value: 27 } })
    assert.isUndefined(g.ratio)
  })

  it("rounds values for reading and keeps words as they are", () => {
    assert.strictEqual(formatValue(46_583.7, "req/s"), "46,584 req/s")
    assert.strictEqual(formatValue(12.345, "ms"), "12.3 ms")
    assert.strictEqual(formatValue(1.5, "ms"), "1.50 ms")
    assert.strictEqual(formatValue(0.0142, "ms"), "0.014 ms")
    assert.strictEqual(formatValue(1_051, "ms"), "1,051 ms")
    assert.strictEqual(formatValue("yes", ""), "yes")
    assert.strictEqual(formatRatio(0.5274), "0.53×")
    assert.strictEqual(formatRatio(undefined), "")
  })
})

const result = (overrides: Partial<BenchResult> = {}): BenchResult => ({
  name: "proxy",
  title: "proxy throughput",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 48_000,
  command: "pnpm bench proxy",
  environment: {
    node: "24.0.0",
    platform: "linux-x64",
    cpus: 2,
    cpuModel: "Test CPU",
    memoryGiB: 24,
    loadBefore: 1,
    loadAfter: 2,
  },
  figures: [
    figure("Slipway vs HAProxy throughput", 11_636, "req/s", {
      reference: { label: "HAProxy", value: 35_587 },
      target: { op: ">=", limit: 0.6, on: "ratio" },
    }),
    figure("Slipway added p50 (1 conn)", 0.06, "ms", { target: { op: "<=", limit: 1 } }),
  ],
  notes: ["load: wrk"],
  ...overrides,
})

describe("result formatting", () => {
  it("prints one aligned row per figure with reference, ratio, target and status", () => {
    const lines = formatTable([result()]).split("\n")
    assert.match(lines[0]!, /^benchmark\s+figure\s+value\s+reference\s+ratio\s+target$/)
    assert.match(lines[1]!, /^─+/)
    assert.match(
      lines[2]!,
      /^proxy\s+Slipway vs HAProxy throughput\s+11,636 req\/s\s+HAProxy: 35,587 req\/s\s+0\.33×\s+≥ 0\.6× ref\s+MISS$/,
    )
    assert.match(lines[3]!, /^\s+Slipway added p50 \(1 conn\)\s+0\.060 ms\s+≤ 1 ms\s+PASS$/)
    // Right-aligned values: both rows end their value column at the same place.
    assert.strictEqual(lines[2]!.indexOf("req/s") + "req/s".length, lines[3]!.indexOf(" ms") + " ms".length)
  })

  it("shows a benchmark that failed without figures as an ERROR row", () => {
    const table = formatTable([result({ figures: [], error: "wrk exited 1" })])
    assert.match(table.split("\n")[2]!, /^proxy\s+ERROR\s+wrk exited 1$/)
  })

  it("writes a markdown section per benchmark with its command, machine, table and notes", () => {
    const md = markdownSummary([
      result(),
      result({ name: "zip", title: "zips", figures: [], error: "no zip" }),
    ])
    assert.include(md, "## proxy — proxy throughput")
    assert.include(md, "with `pnpm bench proxy` on Node 24.0.0, linux-x64, 2 × Test CPU, 24 GiB")
    assert.include(
      md,
      "| Slipway vs HAProxy throughput | 11,636 req/s | HAProxy: 35,587 req/s | 0.33× | ≥ 0.6× ref | MISS |",
    )
    assert.include(md, "- load: wrk")
    assert.include(md, "## zip — zips")
    assert.include(md, "**Did not complete:** no zip")
  })
})

describe("wrk report", () => {
  const report = `Running 10s test @ http://127.0.0.1:41421/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.20ms    7.04ms 102.79ms   96.09%
    Req/Sec    16.02k     6.94k   23.99k    47.62%
  Latency Distribution
     50%  812.00us
     75%    2.41ms
     90%    5.04ms
     99%    1.02s
  159101 requests in 10.00s, 34.62MB read
  Non-2xx or 3xx responses: 7
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  15910.26
Transfer/sec:      3.46MB`

  it("reads throughput, percentiles in any unit, and every kind of error", () => {
    assert.deepStrictEqual(parseWrkOutput(report), {
      requests: 159_101,
      requestsPerSecond: 15_910.26,
      p50Ms: 0.812,
      p99Ms: 1_020,
      errors: 10,
    })
  })

  it("refuses a report without the latency distribution", () => {
    assert.throws(
      () => parseWrkOutput(report.replace(/Latency Distribution[\s\S]*?(?=\s+159101)/, "")),
      /--latency/,
    )
  })
})
