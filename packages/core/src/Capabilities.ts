/**
 * The six verbs a deployment is made of — package, upload, run, network, DNS, observe —
 * as effect services. A provider (AWS through Pulumi and the SDK, or this machine) is a
 * Layer implementing them; the same deployment program runs against either.
 */
import { Context, Data, type Effect } from "effect"
import type { ArtifactRef, Revision } from "./Revision.ts"

// ---------------------------------------------------------------- package

/** What to package: an app's source folder and how to build it. */
export interface Source {
  readonly app: string
  /** Folder holding the app's source. */
  readonly path: string
  /** Build command run in `path` (e.g. `npm run build`); none means the folder is the artifact. */
  readonly build?: string
  /** Folder (relative to `path`) the build produces; default: `path` itself. */
  readonly output?: string
}

/** A built artifact, addressed by the digest of its content. */
export interface Artifact {
  readonly digest: string
  /** Where the packager left it on this machine (a folder, tarball, zip or image reference). */
  readonly path: string
  readonly bytes: number
  /** True when unchanged source was recognised and nothing was rebuilt. */
  readonly reused: boolean
}

export class PackageError extends Data.TaggedError("PackageError")<{
  readonly app: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** package: source → artifact. Same source gives the same digest. */
export class Packager extends Context.Service<
  Packager,
  { readonly package: (source: Source) => Effect.Effect<Artifact, PackageError> }
>()("@slipway/core/Packager") {}

// ---------------------------------------------------------------- upload

export class UploadError extends Data.TaggedError("UploadError")<{
  readonly digest: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** upload: content-addressed and idempotent — putting what is already there is a no-op. */
export class ArtifactStore extends Context.Service<
  ArtifactStore,
  {
    readonly put: (artifact: Artifact) => Effect.Effect<ArtifactRef, UploadError>
    readonly has: (digest: string) => Effect.Effect<boolean, UploadError>
  }
>()("@slipway/core/ArtifactStore") {}

// ---------------------------------------------------------------- run

/** How many replicas of a revision exist and how many are ready for traffic. */
export interface RevisionHealth {
  readonly revision: string
  readonly desired: number
  readonly ready: number
  readonly restarts: number
  /** Last problem seen (a crash, a failing readiness probe), for error messages. */
  readonly lastError?: string
}

export class ComputeError extends Data.TaggedError("ComputeError")<{
  readonly revision: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** run: revisions as running replicas. Every operation is idempotent. */
export class Compute extends Context.Service<
  Compute,
  {
    /** Runs `replicas` of the revision (starting or scaling it) and waits until they are ready. */
    readonly ensure: (revision: Revision, replicas: number) => Effect.Effect<RevisionHealth, ComputeError>
    /** Scales a running revision; 0 stops its replicas gracefully but keeps it known. */
    readonly scale: (revision: string, replicas: number) => Effect.Effect<void, ComputeError>
    readonly health: (revision: string) => Effect.Effect<RevisionHealth, ComputeError>
  }
>()("@slipway/core/Compute") {}

// ---------------------------------------------------------------- network

/** Traffic share per revision id, in whole percent summing to 100. */
export type Weights = Readonly<Record<string, number>>

export class RouterError extends Data.TaggedError("RouterError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** network: weighted traffic between revisions. `setWeights` returns once the change is in effect. */
export class TrafficRouter extends Context.Service<
  TrafficRouter,
  {
    readonly setWeights: (app: string, weights: Weights) => Effect.Effect<void, RouterError>
    readonly weights: (app: string) => Effect.Effect<Weights, RouterError>
  }
>()("@slipway/core/TrafficRouter") {}

// ---------------------------------------------------------------- DNS

export class DnsError extends Data.TaggedError("DnsError")<{
  readonly name: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** DNS: a stable address for the app, whatever revision serves it. */
export class Dns extends Context.Service<
  Dns,
  { readonly ensure: (app: string) => Effect.Effect<string, DnsError> }
>()("@slipway/core/Dns") {}

// ---------------------------------------------------------------- observe

/** Metric names every source understands; sources may offer more. */
export type MetricName =
  | "requests"
  | "errors"
  | "error_rate"
  | "latency_p50"
  | "latency_p95"
  | "latency_p99"
  /** Individual latency samples (ms), for statistical comparison. */
  | "latency"
  | (string & {})

export interface MetricQuery {
  readonly app: string
  readonly revision: string
  readonly metric: MetricName
  /** Look-back window (ms). */
  readonly window: number
}

export interface MetricResult {
  /** The query as the source ran it, in its own language (for evidence). */
  readonly query: string
  /** `null` when there is no data in the window. */
  readonly value: number | null
  /** Requests or data points the value rests on. */
  readonly count: number
  /** Raw samples, for `latency`. */
  readonly samples?: ReadonlyArray<number>
}

export class MetricError extends Data.TaggedError("MetricError")<{
  readonly query: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** observe: per-revision metrics that gates read. */
export class MetricSource extends Context.Service<
  MetricSource,
  { readonly query: (query: MetricQuery) => Effect.Effect<MetricResult, MetricError> }
>()("@slipway/core/MetricSource") {}
