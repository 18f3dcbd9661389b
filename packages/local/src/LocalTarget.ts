/**
 * This machine as a deployment target: every capability in one layer, over one proxy and
 * one supervisor sharing a state directory.
 *
 * ```
 * <stateDir>/artifacts/sha256-<hex>/         releases, content-addressed
 * <stateDir>/cache/packages/<key>.json       source digest → artifact digest
 * <stateDir>/logs/<revision>/replica-<n>.log replica output
 * <stateDir>/logs/build/<app>.log            build output
 * ```
 */
import {
  type ArtifactStore,
  type Compute,
  ComputeError,
  type Dns,
  type MetricSource,
  type Packager,
  type TrafficRouter,
} from "@slipway/core"
import type { ProbeTarget } from "@slipway/gates"
import { Effect, Layer } from "effect"
import { AdminServer } from "./AdminServer.ts"
import * as LocalArtifactStore from "./LocalArtifactStore.ts"
import * as LocalCompute from "./LocalCompute.ts"
import * as LocalDns from "./LocalDns.ts"
import * as LocalMetricSource from "./LocalMetricSource.ts"
import * as LocalPackager from "./LocalPackager.ts"
import * as LocalProbeTarget from "./LocalProbeTarget.ts"
import * as LocalTrafficRouter from "./LocalTrafficRouter.ts"
import { Supervisor, type SupervisorOptions } from "./Supervisor.ts"
import { type ProxyListenError, WeightedProxy } from "./WeightedProxy.ts"

/**
 * Options of the local target.
 *
 * @example
 * import { LocalTarget } from "@slipway/local"
 * LocalTarget.layer({ stateDir: ".slipway", proxyPort: 4780, adminPort: 4781, supervisor: { readyTimeout: 60_000 } })
 */
export interface LocalTargetOptions {
  /** Root of all local state (artifacts, build cache, logs). */
  readonly stateDir: string
  /** Public proxy port on 127.0.0.1 (default 0: a free one; read it from `WeightedProxy`). */
  readonly proxyPort?: number
  /** Admin (metrics) port on 127.0.0.1 (default 0). */
  readonly adminPort?: number
  /** Supervisor tuning (timeouts, backoff, probes). */
  readonly supervisor?: Omit<SupervisorOptions, "stateDir">
  /** Longest a build may run (ms, default 10 minutes). */
  readonly buildTimeout?: number
}

/** Everything `LocalTarget.layer` provides. */
export type LocalTargetServices =
  | Packager
  | ArtifactStore
  | Compute
  | TrafficRouter
  | Dns
  | MetricSource
  | ProbeTarget
  | WeightedProxy
  | Supervisor
  | AdminServer

/**
 * All core capabilities on this machine, the gates' `ProbeTarget`, plus the `WeightedProxy`, `Supervisor` and
 * `AdminServer` services behind them (for ports, status and logs). Closing the layer
 * stops every replica gracefully, then the proxy and the admin listener.
 *
 * @example
 * import { Compute, TrafficRouter } from "@slipway/core"
 * import { LocalTarget, WeightedProxy } from "@slipway/local"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   yield* (yield* Compute).ensure(revision, 2)
 *   yield* (yield* TrafficRouter).setWeights("hello", { [revision.id]: 100 })
 *   const proxy = yield* WeightedProxy
 *   console.log(`http://hello.localhost:${proxy.port}`)
 * }).pipe(Effect.provide(LocalTarget.layer({ stateDir: ".slipway", proxyPort: 4780 })))
 */
export const layer = (options: LocalTargetOptions): Layer.Layer<LocalTargetServices, ProxyListenError> => {
  const proxy = WeightedProxy.layer({
    ...(options.proxyPort === undefined ? {} : { port: options.proxyPort }),
  })
  const supervisor = Supervisor.layer({ ...options.supervisor, stateDir: options.stateDir })
  const overProxy = Layer.mergeAll(
    LocalTrafficRouter.layer,
    LocalMetricSource.layer,
    LocalDns.layer,
    LocalProbeTarget.layer,
    AdminServer.layer({ ...(options.adminPort === undefined ? {} : { port: options.adminPort }) }),
  )
  const standalone = Layer.mergeAll(
    LocalPackager.layer({
      stateDir: options.stateDir,
      ...(options.buildTimeout === undefined ? {} : { buildTimeout: options.buildTimeout }),
    }),
    LocalArtifactStore.layer({ stateDir: options.stateDir }),
  )
  return Layer.mergeAll(LocalCompute.layer, overProxy, standalone).pipe(
    Layer.provideMerge(supervisor),
    Layer.provideMerge(proxy),
  )
}

/**
 * The base URL of a ready replica of `revision` (round robin over its replicas),
 * bypassing the proxy's weights — what a probe gate uses to check a candidate that has
 * no traffic yet.
 *
 * @example
 * import { LocalTarget } from "@slipway/local"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const url = yield* LocalTarget.revisionAddress("hello-3f9c2a7b1d0e") // "http://127.0.0.1:41234"
 * })
 */
export const revisionAddress = (revision: string): Effect.Effect<string, ComputeError, WeightedProxy> =>
  Effect.gen(function* () {
    const proxy = yield* WeightedProxy
    const url = proxy.revisionAddress(revision)
    if (url !== undefined) return url
    return yield* Effect.fail(
      new ComputeError({
        revision,
        message: `revision ${revision} has no ready replica on this machine; ensure it (Compute.ensure) first`,
      }),
    )
  })
