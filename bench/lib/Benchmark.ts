/**
 * The contract between the runner and a benchmark: a benchmark records figures and
 * notes as it goes (so a benchmark that fails half-way still reports what it measured),
 * starts processes through `procs`, and registers cleanups; the runner gives it a fresh
 * scratch folder, a time limit, and runs the cleanups whatever happens.
 */
import { cpus, loadavg, totalmem } from "node:os"
import type { Environment, Figure } from "./Figures.ts"
import type { Processes } from "./Processes.ts"

/** What a benchmark gets from the runner. */
export interface BenchContext {
  /** The repository root. */
  readonly root: string
  /** A fresh scratch folder, `bench/.tmp/<name>` (gitignored). */
  readonly tmp: string
  /** `[node, "--conditions=@slipway/source"]`: runs workspace TypeScript from source. */
  readonly node: readonly [string, ...Array<string>]
  readonly procs: Processes
  /** Records a figure (printed in the table and saved). */
  readonly record: (figure: Figure) => void
  /** Records a note: a tool used, something skipped and why, a caveat. */
  readonly note: (text: string) => void
  /** Progress for the person watching (not saved). */
  readonly log: (text: string) => void
  /**
   * Runs `cleanup` after the benchmark, even when it fails or times out (last registered,
   * first run). It runs after `procs` has stopped every child and refuses new ones, so a
   * cleanup must not start processes (stop an agent in-process, not through the CLI).
   */
  readonly onCleanup: (cleanup: () => Promise<void> | void) => void
}

/** One benchmark. */
export interface Benchmark {
  /** What `pnpm bench <name>` selects it by; also its results file name. */
  readonly name: string
  readonly title: string
  /** Longest it may run before the runner stops it and its processes. */
  readonly timeoutMs: number
  readonly run: (ctx: BenchContext) => Promise<void>
}

/** The machine, for the record: figures from different machines are not comparable. */
export const environment = (loadBefore: number): Environment => ({
  node: process.versions.node,
  platform: `${process.platform}-${process.arch}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  loadBefore,
  loadAfter: loadavg()[0] ?? 0,
})

/** Nearest-rank percentile of ascending-sorted values (`q` in 0..1). */
export const percentile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil(q * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!
}
