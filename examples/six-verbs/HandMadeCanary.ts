/**
 * A deployment written by hand from the six verbs — package, upload, run, network, DNS,
 * observe — with no rollout engine: the program asks for core's capabilities and a
 * provider's layer gives them meaning. The same program runs in memory (`Memory.layer`)
 * and on this machine (`LocalTarget.layer`: real processes behind a real proxy).
 *
 * It deploys a stable release, stages a candidate beside it, sends it a share of real
 * traffic, reads the candidate's own metrics, and then either promotes it or sends
 * everything back — the decision a rollout engine automates, made here in ten lines.
 */
import {
  ArtifactStore,
  Compute,
  Dns,
  MetricSource,
  makeRevision,
  Packager,
  type Revision,
  type Source,
  TrafficRouter,
} from "@slipway/core"
import { Effect } from "effect"
import { Traffic, type TrafficReport } from "./Traffic.ts"

/** One release of the app: where its source is and how a replica runs. */
export interface Release {
  readonly source: Source
  /** Revision config: the command, health path and environment of a replica. */
  readonly config: Readonly<Record<string, unknown>>
  readonly replicas: number
}

/** What the program observed and decided. */
export interface CanaryResult {
  readonly url: string
  readonly stable: Revision
  readonly candidate: Revision
  /** True when packaging recognised unchanged source and built nothing. */
  readonly reused: boolean
  readonly traffic: TrafficReport
  /** The candidate's metrics over the last minute, as its provider answered them. */
  readonly observed: { readonly requests: number | null; readonly errorRate: number | null }
  readonly queries: ReadonlyArray<string>
  readonly outcome: "promoted" | "rolled-back"
}

/** package → upload → run: a release becomes a running revision (not yet receiving traffic). */
export const stage = Effect.fn("stage")(function* (release: Release) {
  const artifact = yield* (yield* Packager).package(release.source) // package
  const ref = yield* (yield* ArtifactStore).put(artifact) // upload
  const revision = makeRevision({ app: release.source.app, artifact: ref, config: release.config })
  yield* (yield* Compute).ensure(revision, release.replicas) // run: returns once replicas are ready
  return { revision, reused: artifact.reused }
})

/**
 * Deploys `stable`, then gives `candidate` `weight`% of `requests` requests and keeps it
 * only if its error rate stays at or below `maxErrorRate`.
 *
 * @example
 * const result = yield* handMadeCanary(v1, v2, { weight: 10, requests: 200, maxErrorRate: 0.01 })
 */
export const handMadeCanary = Effect.fn("handMadeCanary")(function* (
  stable: Release,
  candidate: Release,
  options: { readonly weight: number; readonly requests: number; readonly maxErrorRate: number },
) {
  const app = stable.source.app
  const router = yield* TrafficRouter
  const metrics = yield* MetricSource

  const blue = yield* stage(stable)
  yield* router.setWeights(app, { [blue.revision.id]: 100 }) // network
  const url = yield* (yield* Dns).ensure(app) // DNS: one address, whatever revision serves it

  const green = yield* stage(candidate)
  yield* router.setWeights(app, {
    [blue.revision.id]: 100 - options.weight,
    [green.revision.id]: options.weight,
  })
  const traffic = yield* (yield* Traffic).send(app, url, options.requests)

  // observe: the candidate's own numbers, not the app's blend of both revisions
  const query = (metric: string) =>
    metrics.query({ app, revision: green.revision.id, metric, window: 60_000 })
  const [requests, errorRate] = yield* Effect.all([query("requests"), query("error_rate")])
  const healthy =
    (requests.value ?? 0) > 0 && errorRate.value !== null && errorRate.value <= options.maxErrorRate

  const compute = yield* Compute
  if (healthy) {
    yield* router.setWeights(app, { [blue.revision.id]: 0, [green.revision.id]: 100 })
    yield* compute.scale(blue.revision.id, 0)
  } else {
    yield* router.setWeights(app, { [blue.revision.id]: 100, [green.revision.id]: 0 })
    yield* compute.scale(green.revision.id, 0)
  }
  return {
    url,
    stable: blue.revision,
    candidate: green.revision,
    reused: green.reused,
    traffic,
    observed: { requests: requests.value, errorRate: errorRate.value },
    queries: [requests.query, errorRate.query],
    outcome: healthy ? "promoted" : "rolled-back",
  } satisfies CanaryResult
})
