/**
 * An app's routing table: which revisions receive traffic, with what weight, on which
 * replicas. A table is immutable once built; a weight or replica change builds a new one
 * and swaps it in with a single assignment, so a request is always routed by one
 * consistent table and never sees half a change.
 *
 * Picking a revision uses smooth weighted round robin (the nginx algorithm): for weights
 * summing to W, every run of W consecutive picks gives each revision exactly its weight,
 * spread out rather than in bursts — deterministic, and exact for any request count that
 * is a multiple of W. Within a revision, replicas are taken in round robin.
 */

/** One revision in a table. */
export interface RouteEntry<U> {
  readonly revision: string
  /** Whole percent of the app's traffic. */
  readonly weight: number
  /** Ready replicas, in a stable order. */
  readonly upstreams: ReadonlyArray<U>
}

/**
 * An immutable routing table with its own pick state.
 *
 * @example
 * import { RoutingTable } from "@slipway/local"
 * const table = new RoutingTable("hello", [
 *   { revision: "hello-a", weight: 80, upstreams: ["127.0.0.1:4001"] },
 *   { revision: "hello-b", weight: 20, upstreams: ["127.0.0.1:4002"] },
 * ], true)
 * table.pick()?.revision // "hello-a" four times in five
 */
export class RoutingTable<U> {
  readonly app: string
  readonly entries: ReadonlyArray<RouteEntry<U>>
  /** False until weights are set for the app; then every revision with replicas shares traffic equally. */
  readonly weighted: boolean

  // Revisions that can take traffic now: positive weight and at least one ready replica.
  private readonly eligible: ReadonlyArray<RouteEntry<U>>
  private readonly eligibleWeights: ReadonlyArray<number>
  private readonly totalWeight: number
  private readonly current: Array<number>
  // Per entry (same order as `entries`): its index by revision, and its round-robin cursor.
  private readonly indexOf = new Map<string, number>()
  private readonly cursors: Array<number>

  constructor(app: string, entries: ReadonlyArray<RouteEntry<U>>, weighted: boolean) {
    this.app = app
    this.entries = entries
    this.weighted = weighted
    const eligible = entries.filter((e) => e.upstreams.length > 0 && (!weighted || e.weight > 0))
    this.eligible = eligible
    this.eligibleWeights = eligible.map((e) => (weighted ? e.weight : 1))
    this.totalWeight = this.eligibleWeights.reduce((a, b) => a + b, 0)
    this.current = eligible.map(() => 0)
    entries.forEach((e, i) => {
      if (!this.indexOf.has(e.revision)) this.indexOf.set(e.revision, i)
    })
    this.cursors = entries.map(() => 0)
  }

  /**
   * The revision for the next request, or `undefined` when no revision with a positive
   * weight has a ready replica. Revisions with weight but no ready replica are skipped and
   * their share goes to the others, so a restarting revision sheds traffic instead of
   * failing it.
   */
  pick(): RouteEntry<U> | undefined {
    if (this.eligible.length === 0) return undefined
    let best = 0
    for (let i = 0; i < this.eligible.length; i++) {
      this.current[i]! += this.eligibleWeights[i]!
      if (this.current[i]! > this.current[best]!) best = i
    }
    this.current[best]! -= this.totalWeight
    return this.eligible[best]
  }

  /** The entry for `revision`, if the table has it. */
  find(revision: string): RouteEntry<U> | undefined {
    const i = this.indexOf.get(revision)
    return i === undefined ? undefined : this.entries[i]
  }

  /** The next replica of `revision` in round robin, skipping `exclude` (replicas already tried). */
  upstream(revision: string, exclude?: ReadonlySet<U>): U | undefined {
    const index = this.indexOf.get(revision)
    if (index === undefined) return undefined
    const upstreams = this.entries[index]!.upstreams
    const n = upstreams.length
    const start = this.cursors[index]!
    for (let i = 0; i < n; i++) {
      const at = (start + i) % n
      const candidate = upstreams[at]!
      if (exclude?.has(candidate)) continue
      this.cursors[index] = at + 1 === n ? 0 : at + 1
      return candidate
    }
    return undefined
  }
}
