/**
 * What scripts/load.ts prints, one JSON object per line: a `LoadSecond` each second (unless
 * `--quiet`), then one `LoadSummary` when it stops. The end-to-end tests and the benchmarks
 * read these lines from another process; this is the one description of them.
 */

/** Requests answered during one second. */
export interface LoadSecond {
  /** End of the second (epoch ms). */
  readonly t: number
  readonly ok: number
  readonly failed: number
  /** Answers by the app version they carried. */
  readonly versions: Readonly<Record<string, number>>
}

/** The whole run, printed once at the end (`summary: true`). */
export interface LoadSummary {
  readonly summary: true
  readonly sent: number
  readonly ok: number
  readonly failed: number
  readonly statuses: Readonly<Record<string, number>>
  readonly versions: Readonly<Record<string, number>>
  /** Errors without an answer, by code. */
  readonly errors: Readonly<Record<string, number>>
  /** The first 200 failures, each with the time its answer (or error) arrived. */
  readonly failures: ReadonlyArray<{
    readonly at: number
    readonly status: number | string
    readonly version?: string
  }>
  readonly durationMs: number
  /** Latency percentiles (ms). */
  readonly p50: number
  readonly p99: number
}
