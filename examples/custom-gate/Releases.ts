/**
 * Three releases of the price API rolled out on this machine, each judged by a built-in
 * health probe and the custom contract gate:
 *
 *   1.0.0  first deployment
 *   1.1.0  adds a `discount` field           → compatible: promoted
 *   2.0.0  renames `price` to `amount`       → healthy, fast, 200 OK — and rolled back by
 *                                               the contract gate before it took traffic
 */
import { join } from "node:path"
import {
  ArtifactStore,
  Journal,
  makeRevision,
  makeTtyRenderer,
  Packager,
  Rollout,
  RolloutEvents,
  type RolloutOutcome,
} from "@slipway/core"
import * as Gate from "@slipway/gates"
import { LocalTarget } from "@slipway/local"
import { custom } from "@slipway/strategies"
import { Effect, Layer } from "effect"
import { jsonContract } from "./ContractGate.ts"

const app = "prices"

/** The health probe every release passes, and the contract gate. */
export const gates = [Gate.http("/healthz", { name: "health" }), jsonContract("/api/price")]

/**
 * The contract is checked before any traffic moves (it probes the revisions directly);
 * then a quarter of the traffic for two seconds, every gate sampled each second, and the rest.
 */
export const strategy = custom(
  [
    { scale: { percent: 100 } },
    { gate: ["contract"] },
    { setWeight: 25 },
    { pause: "2s" },
    { gate: "all" },
    { setWeight: 100 },
  ],
  { analysis: { interval: "1s" }, scaleDownDelay: "1s" },
)

/** The releases, by the environment their replicas get. */
export const releases = [
  { version: "1.0.0", env: {} },
  { version: "1.1.0", env: { WITH_DISCOUNT: "1" } },
  { version: "2.0.0", env: { WITH_DISCOUNT: "1", PRICE_FIELD: "amount" } },
] as const

export interface ReleaseOutcome {
  readonly version: string
  readonly status: RolloutOutcome["status"]
  readonly rollbackReason: string | undefined
  /** The contract gate's verdicts, as the journal recorded them. */
  readonly contract: ReadonlyArray<{ readonly verdict: string; readonly reason: string }>
}

/** Rolls out every release in order, rendering progress through `write`. */
export const rollOutAll = (options: { readonly stateDir: string; readonly write: (text: string) => void }) =>
  Effect.gen(function* () {
    // package + upload: the app folder needs no build, so it is the artifact.
    const artifact = yield* (yield* Packager).package({ app, path: join(import.meta.dirname, "app") })
    const ref = yield* (yield* ArtifactStore).put(artifact)

    const outcomes: Array<ReleaseOutcome> = []
    for (const release of releases) {
      const candidate = makeRevision({
        app,
        artifact: ref,
        config: {
          command: [process.execPath, "server.mjs"],
          healthPath: "/healthz",
          env: { APP_VERSION: release.version, ...release.env },
        },
      })
      const tty = makeTtyRenderer({ write: options.write, color: false })
      // `stable: null` means "whatever serves now": after the first release the journal knows.
      const outcome = yield* Rollout.run({ app, stable: null, candidate, strategy, gates, replicas: 1 }).pipe(
        Effect.provide(RolloutEvents.layerWith((event) => Effect.sync(() => tty.onEvent(event)))),
      )
      tty.finish()
      outcomes.push({
        version: release.version,
        status: outcome.status,
        rollbackReason: outcome.record.rollbackReason,
        contract: outcome.record.events.flatMap((e) =>
          e._tag === "GateEvaluated" && e.gate === "contract"
            ? [{ verdict: e.verdict._tag, reason: e.verdict.reason }]
            : [],
        ),
      })
    }
    return outcomes
  }).pipe(
    Effect.provide(
      Layer.merge(
        LocalTarget.layer({ stateDir: options.stateDir }),
        Journal.layerFile(join(options.stateDir, "journal")),
      ),
    ),
  )
