/**
 * The benchmark runner: `pnpm bench [NAME...]` from the repository root.
 *
 * Runs every benchmark (or the ones named) one after another, each in a fresh scratch
 * folder under bench/.tmp/ with a time limit, stops whatever it started, prints a table
 * of figures with their references, ratios and targets, and saves
 * `bench/results/<name>.json` plus `bench/results/latest.md` (all saved results). Missed
 * targets are reported, never fatal; the exit code is 1 only when a benchmark could not
 * complete.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { benchmarks } from "./benchmarks/index.ts"
import { BenchUsageError, parseBenchArgs, usage } from "./lib/Args.ts"
import { type BenchContext, environment } from "./lib/Benchmark.ts"
import { type BenchResult, type Figure, formatTable, markdownSummary } from "./lib/Figures.ts"
import { Processes } from "./lib/Processes.ts"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const resultsDir = join(root, "bench", "results")
const names = benchmarks.map((b) => b.name)

// What to undo if the runner itself is interrupted (Ctrl-C) mid-benchmark.
let active: { readonly procs: Processes; readonly cleanups: Array<() => Promise<void> | void> } | undefined

const runCleanups = async (
  cleanups: ReadonlyArray<() => Promise<void> | void>,
  note: (text: string) => void,
): Promise<void> => {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup()
    } catch (e) {
      note(`cleanup failed: ${(e as Error).message}`)
    }
  }
}

const withTimeout = async <A>(promise: Promise<A>, ms: number, what: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const runOne = async (name: string): Promise<BenchResult> => {
  const bench = benchmarks.find((b) => b.name === name)!
  const tmp = join(root, "bench", ".tmp", name)
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  const figures: Array<Figure> = []
  const notes: Array<string> = []
  const procs = new Processes()
  const cleanups: Array<() => Promise<void> | void> = []
  active = { procs, cleanups }
  const ctx: BenchContext = {
    root,
    tmp,
    node: [process.execPath, "--conditions=@slipway/source"],
    procs,
    record: (f) => {
      figures.push(f)
    },
    note: (text) => {
      notes.push(text)
    },
    log: (text) => console.log(`  [${name}] ${text}`),
    onCleanup: (cleanup) => {
      cleanups.push(cleanup)
    },
  }
  console.log(`\n▶ ${name}: ${bench.title}`)
  const loadBefore = loadavg()[0] ?? 0
  const startedAt = new Date()
  let error: string | undefined
  try {
    await withTimeout(bench.run(ctx), bench.timeoutMs, name)
  } catch (e) {
    error = (e as Error).message
    console.error(`  [${name}] failed: ${error}`)
  } finally {
    // Children first (and no new ones), then the benchmark's own cleanups (agents it started).
    await procs.close()
    await runCleanups(cleanups, ctx.note)
    active = undefined
  }
  return {
    name,
    title: bench.title,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    command: `pnpm bench ${name}`,
    environment: environment(loadBefore),
    figures,
    notes,
    ...(error !== undefined ? { error } : {}),
  }
}

/** Every saved result, in registry order (a benchmark never run yet is left out). */
const savedResults = (): Array<BenchResult> =>
  names.flatMap((name) => {
    try {
      return [JSON.parse(readFileSync(join(resultsDir, `${name}.json`), "utf8")) as BenchResult]
    } catch {
      return []
    }
  })

const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  let args: ReturnType<typeof parseBenchArgs>
  try {
    args = parseBenchArgs(argv, names)
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e
    console.error(`bench: ${e.message}`)
    return 2
  }
  if (args.help || args.list) {
    if (args.help) console.log(`Usage: ${usage(names)}\n`)
    for (const b of benchmarks) console.log(`  ${b.name.padEnd(10)} ${b.title}`)
    return 0
  }
  const results: Array<BenchResult> = []
  for (const name of args.selected) {
    const result = await runOne(name)
    results.push(result)
    console.log(`\n${formatTable([result])}`)
    for (const note of result.notes) console.log(`  · ${note}`)
    if (args.save) {
      mkdirSync(resultsDir, { recursive: true })
      writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`)
    }
  }
  if (results.length > 1) console.log(`\n━━ all figures ━━\n${formatTable(results)}`)
  if (args.save) {
    writeFileSync(join(resultsDir, "latest.md"), markdownSummary(savedResults()))
    console.log(`\nsaved: bench/results/{${args.selected.join(",")}}.json and bench/results/latest.md`)
  }
  return results.some((r) => r.error !== undefined) ? 1 : 0
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}; stopping what the benchmark started`)
    const current = active
    void (async () => {
      if (current !== undefined) {
        await current.procs.close()
        await runCleanups(current.cleanups, (text) => console.error(text))
      }
      process.exit(130)
    })()
  })
}

process.exitCode = await main(process.argv.slice(2))
