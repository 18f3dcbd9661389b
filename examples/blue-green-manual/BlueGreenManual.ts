/**
 * Blue-green with manual promotion, on this machine. The new revision (green) comes up
 * at full size beside the one serving (blue) and is smoke-tested on its own address while
 * it has no traffic; then the rollout waits for a person. Promoting switches all traffic
 * in one move (blue is kept a little longer, so going back is one weight change);
 * aborting sends green away without a single user request having reached it.
 *
 * Here the "person" is this program: it waits for the rollout's `Paused` event, looks at
 * what users and the preview see, and calls `promote()` for 2.0.0 and `abort()` for 3.0.0 —
 * exactly what `slipway promote` and `slipway abort` send to a running rollout.
 */
import { join } from "node:path"
import {
  ArtifactStore,
  Journal,
  makeRevision,
  makeTtyRenderer,
  Packager,
  type Revision,
  Rollout,
  RolloutControl,
  RolloutEvents,
  type RolloutOutcome,
} from "@slipway/core"
import * as Gate from "@slipway/gates"
import { LocalTarget, WeightedProxy } from "@slipway/local"
import { allAtOnce, blueGreen } from "@slipway/strategies"
import { Deferred, Effect, Fiber, Layer } from "effect"

const app = "hello"
/** hello-node's server needs no build: its `src/` folder is the artifact. */
const helloNode = join(import.meta.dirname, "..", "hello-node", "src")

/** Green is checked before the switch, then waits for `promote()` (or `slipway promote`). */
export const strategy = blueGreen({ previewGates: ["smoke"], autoPromote: false, scaleDownDelay: "2s" })

/** The preview check: the revision answers on its own address, as the version it should be. */
const smoke = (version: string) =>
  Gate.http("/", { name: "smoke", bodyMatches: new RegExp(`"version":"${version.replaceAll(".", "\\.")}"`) })

/** What the operator decided, and what was served before and after. */
export interface Release {
  readonly version: string
  readonly decision: "promote" | "abort"
  readonly outcome: RolloutOutcome["status"]
  /** Versions answered through the proxy while the rollout waited for the decision. */
  readonly servedWhileWaiting: ReadonlyArray<string>
  /** Versions answered by the preview's own address while it waited. */
  readonly preview: ReadonlyArray<string>
  /** Versions answered through the proxy once the rollout ended. */
  readonly servedAfter: ReadonlyArray<string>
}

/** `n` requests to `base`, returning the `version` each answer reports. */
const versions = (base: string, n: number) =>
  Effect.forEach(Array.from({ length: n }), () =>
    Effect.tryPromise(async () => {
      const response = await fetch(base)
      return ((await response.json()) as { version: string }).version
    }),
  )

/**
 * Deploys 1.0.0, then rolls out 2.0.0 (promoted) and 3.0.0 (aborted) by blue-green with a
 * manual promotion, writing the rollout's progress through `write`.
 */
export const blueGreenManual = (options: {
  readonly stateDir: string
  readonly write: (text: string) => void
}) =>
  Effect.gen(function* () {
    const artifact = yield* (yield* Packager).package({ app, path: helloNode })
    const ref = yield* (yield* ArtifactStore).put(artifact)
    const proxy = yield* WeightedProxy
    const revision = (version: string): Revision =>
      makeRevision({ app, artifact: ref, config: replicaConfig(version) })

    // Each rollout's events are rendered as they happen; a manual Pause also wakes the operator.
    const rolloutWith = <E1, R1, E2, R2>(
      run: (control: RolloutControl) => Effect.Effect<RolloutOutcome, E1, R1>,
      operator: (control: RolloutControl) => Effect.Effect<void, E2, R2>,
    ) =>
      Effect.gen(function* () {
        const waiting = yield* Deferred.make<void>()
        const tty = makeTtyRenderer({ write: options.write, color: false })
        const events = RolloutEvents.layerWith((event) =>
          Effect.sync(() => tty.onEvent(event)).pipe(
            Effect.andThen(
              event._tag === "Paused" && event.until === undefined
                ? Deferred.succeed(waiting, undefined)
                : Effect.void,
            ),
          ),
        )
        const control = yield* RolloutControl.make
        const fiber = yield* Effect.forkChild(run(control).pipe(Effect.provide(events)))
        yield* Deferred.await(waiting)
        yield* operator(control)
        const outcome = yield* Fiber.join(fiber)
        tty.finish()
        return outcome
      })

    // 1.0.0: the first deployment has nothing to compare with; all at once.
    const blue = revision("1.0.0")
    const first = yield* Rollout.run({
      app,
      stable: null,
      candidate: blue,
      strategy: allAtOnce(),
      replicas: 2,
    }).pipe(Effect.provide(RolloutEvents.layerDiscard))
    options.write(`1.0.0 ${first.status}: ${blue.id} serves ${proxy.url}\n`)

    const release = (stable: Revision, version: string, decision: "promote" | "abort") =>
      Effect.gen(function* () {
        const candidate = revision(version)
        let servedWhileWaiting: ReadonlyArray<string> = []
        let preview: ReadonlyArray<string> = []
        const outcome = yield* rolloutWith(
          (control) =>
            Rollout.run({ app, stable, candidate, strategy, gates: [smoke(version)], replicas: 2, control }),
          (control) =>
            Effect.gen(function* () {
              servedWhileWaiting = yield* versions(proxy.url, 10)
              preview = yield* versions(yield* LocalTarget.revisionAddress(candidate.id), 3)
              options.write(
                `operator: users see ${[...new Set(servedWhileWaiting)]}, preview answers ${[...new Set(preview)]}: ${decision}\n`,
              )
              yield* decision === "promote"
                ? control.promote()
                : control.abort(`${version} is not what we want to ship today`)
            }),
        )
        const servedAfter = yield* versions(proxy.url, 10)
        return {
          version,
          decision,
          outcome: outcome.status,
          servedWhileWaiting,
          preview,
          servedAfter,
        } satisfies Release
      })

    const promoted = yield* release(blue, "2.0.0", "promote")
    const aborted = yield* release(revision("2.0.0"), "3.0.0", "abort")
    return [promoted, aborted] as const
  }).pipe(
    Effect.provide(
      Layer.merge(
        // Ports 0: the proxy and admin listener take free ports on 127.0.0.1.
        LocalTarget.layer({ stateDir: options.stateDir }),
        Journal.layerFile(join(options.stateDir, "journal")),
      ),
    ),
  )

/** How a replica of hello-node runs (process.execPath: the Node running this program). */
const replicaConfig = (version: string) => ({
  command: [process.execPath, "server.js"],
  healthPath: "/healthz",
  env: { APP_VERSION: version },
})
