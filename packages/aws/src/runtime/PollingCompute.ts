/**
 * Internal: the `Compute` both driven ALB backends share. Each revision runs in its own
 * resource (an ECS service, an Auto Scaling group), found through a `RevisionMap`; `ensure`
 * sets its size and polls (bounded) until the resource reports itself steady, `scale` only
 * sets the size and `health` reads it once. What a resource is, how it is resized and what
 * "steady" means is the backend's.
 */
import { type Compute, ComputeError, type Revision, type RevisionHealth } from "@slipway/core"
import { Duration, Effect, Schedule } from "effect"
import { lookupOf, type RevisionMap } from "./RevisionMap.ts"

/** One look at a resource: the health to report, and whether it has settled. */
export interface Observation {
  readonly health: RevisionHealth
  readonly steady: boolean
}

/** How one kind of resource is found, resized and observed. */
export interface PollingBackend<O extends Observation> {
  /** Prefix of the `ensure` span, e.g. `EcsCompute`. */
  readonly span: string
  /** Revision id → resource name. */
  readonly resources: RevisionMap
  /** Why a revision has no resource, and how to fix that. */
  readonly unmapped: (revision: string) => string
  readonly resize: (revision: string, resource: string, replicas: number) => Effect.Effect<void, ComputeError>
  /** Observes the resource; `desired` is what `ensure` asked for, if anything. */
  readonly describe: (
    revision: string,
    resource: string,
    desired: number | undefined,
  ) => Effect.Effect<O, ComputeError>
  /** Stops waiting at once when an observation can no longer become steady. */
  readonly failFast?: (revision: string, resource: string, observed: O) => ComputeError | undefined
  readonly pollInterval: Duration.Input
  readonly readyTimeout: Duration.Input
  /** The error message when `ensure` gives up; `last` is the last observation, if any. */
  readonly notReady: (resource: string, replicas: number, within: string, last: O | undefined) => string
}

/** Builds the `Compute` operations over a backend. */
export const makePollingCompute = <O extends Observation>(backend: PollingBackend<O>): Compute["Service"] => {
  const lookup = lookupOf(backend.resources)
  const { pollInterval, readyTimeout } = backend

  const resourceOf = (revision: string): Effect.Effect<string, ComputeError> => {
    const name = lookup.resourceOf(revision)
    return name === undefined
      ? Effect.fail(new ComputeError({ revision, message: backend.unmapped(revision) }))
      : Effect.succeed(name)
  }

  const ensure = Effect.fn(`${backend.span}.ensure`)(function* (revision: Revision, replicas: number) {
    const name = yield* resourceOf(revision.id)
    yield* backend.resize(revision.id, name, replicas)
    let last: O | undefined
    const poll = backend.describe(revision.id, name, replicas).pipe(
      Effect.tap((o) => {
        last = o
        const failed = backend.failFast?.(revision.id, name, o)
        return failed === undefined ? Effect.void : Effect.fail(failed)
      }),
    )
    const observed = yield* Effect.repeat(poll, {
      schedule: Schedule.spaced(pollInterval),
      until: (o) => o.steady,
    }).pipe(
      Effect.timeoutOrElse({
        duration: readyTimeout,
        orElse: () =>
          Effect.fail(
            new ComputeError({
              revision: revision.id,
              message: backend.notReady(
                name,
                replicas,
                Duration.format(Duration.fromInputUnsafe(readyTimeout)),
                last,
              ),
            }),
          ),
      }),
    )
    return observed.health
  })

  return {
    ensure,
    scale: (revision, replicas) =>
      Effect.flatMap(resourceOf(revision), (name) => backend.resize(revision, name, replicas)),
    health: (revision) =>
      Effect.flatMap(resourceOf(revision), (name) =>
        Effect.map(backend.describe(revision, name, undefined), (o) => o.health),
      ),
  }
}
