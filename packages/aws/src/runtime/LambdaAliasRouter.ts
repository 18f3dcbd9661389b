/**
 * Driven traffic shifting for Lambda: an alias points at one published version and may send
 * a fraction of invocations to one other version (`RoutingConfig.AdditionalVersionWeights`).
 * Each revision is a published version.
 *
 * The alias keeps pointing at the version it already points at while that version still gets
 * traffic (so the stable version stays primary through a canary), and moves to the candidate
 * when it takes 100%. Every change is read back with GetAlias.
 */
import {
  GetAliasCommand,
  type GetAliasCommandOutput,
  type LambdaClient,
  UpdateAliasCommand,
} from "@aws-sdk/client-lambda"
import { RouterError, TrafficRouter, type Weights } from "@slipway/core"
import { Effect, Layer } from "effect"
import { type AwsCallError, type AwsCallPolicy, callAws } from "./AwsCall.ts"
import { lookupOf, type RevisionMap } from "./RevisionMap.ts"
import { showWeights, weightsProblem } from "./Weights.ts"

/**
 * The alias to shift and which version is which revision.
 *
 * @example
 * import type { LambdaAliasRouterConfig } from "@slipway/aws"
 * const config: LambdaAliasRouterConfig = { client, functionName: "api", alias: "live", versions: { "api-aaa": "6", "api-bbb": "7" } }
 */
export interface LambdaAliasRouterConfig {
  readonly client: LambdaClient
  readonly functionName: string
  readonly alias: string
  /** Revision id → published version number (as a string, e.g. `"7"`). */
  readonly versions: RevisionMap
  readonly call?: AwsCallPolicy
}

const percentOf = (fraction: number): number => Math.round(fraction * 10_000) / 100

/**
 * Builds the alias router.
 *
 * @example
 * import { makeLambdaAliasRouter } from "@slipway/aws"
 * import { LambdaClient } from "@aws-sdk/client-lambda"
 * const router = makeLambdaAliasRouter({ client: new LambdaClient({ maxAttempts: 1 }), functionName: "api", alias: "live", versions: { "api-aaa": "6", "api-bbb": "7" } })
 */
export const makeLambdaAliasRouter = (config: LambdaAliasRouterConfig): TrafficRouter["Service"] => {
  const { client, functionName, alias } = config
  const lookup = lookupOf(config.versions)
  const name = `${functionName}:${alias}`
  const routerError = (e: AwsCallError) =>
    new RouterError({ message: `Lambda alias ${name}: ${e.message}`, cause: e })

  const getAlias = callAws(
    "GetAlias",
    (abortSignal) =>
      client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }), { abortSignal }),
    config.call,
  ).pipe(Effect.mapError(routerError))

  /** Version → percent, as the alias routes now. */
  const routed = (out: GetAliasCommandOutput): ReadonlyMap<string, number> => {
    const extra = Object.entries(out.RoutingConfig?.AdditionalVersionWeights ?? {})
    const share = new Map<string, number>()
    if (out.FunctionVersion !== undefined) {
      share.set(out.FunctionVersion, percentOf(1 - extra.reduce((s, [, w]) => s + w, 0)))
    }
    for (const [version, w] of extra) share.set(version, percentOf(w))
    return share
  }

  const setWeights = Effect.fn("LambdaAliasRouter.setWeights")(function* (_app: string, weights: Weights) {
    const problem = weightsProblem(weights)
    if (problem !== undefined)
      return yield* new RouterError({ message: `cannot set alias weights: ${problem}` })
    const live: Array<{ version: string; weight: number }> = []
    for (const [revision, weight] of Object.entries(weights)) {
      const version = lookup.resourceOf(revision)
      if (version === undefined) {
        return yield* new RouterError({
          message: `no Lambda version for revision ${revision}; add it to versions`,
        })
      }
      if (weight > 0) live.push({ version, weight })
    }
    if (live.length > 2) {
      return yield* new RouterError({
        message: `${live.length} versions with traffic (${showWeights(weights)}); a Lambda alias routes to at most two`,
      })
    }
    const current = yield* getAlias
    // Keep the alias on its current version while it has traffic; otherwise on the heaviest.
    const primary =
      live.find((l) => l.version === current.FunctionVersion) ??
      live.reduce((a, b) => (b.weight > a.weight ? b : a), live[0]!)
    const secondary = live.find((l) => l !== primary)
    yield* callAws(
      "UpdateAlias",
      (abortSignal) =>
        client.send(
          new UpdateAliasCommand({
            FunctionName: functionName,
            Name: alias,
            FunctionVersion: primary.version,
            // An empty map clears a previous split; leaving RoutingConfig out would keep it.
            RoutingConfig: {
              AdditionalVersionWeights:
                secondary === undefined ? {} : { [secondary.version]: secondary.weight / 100 },
            },
          }),
          { abortSignal },
        ),
      config.call,
    ).pipe(Effect.mapError(routerError))
    const after = routed(yield* getAlias)
    const wrong = live.filter((l) => after.get(l.version) !== l.weight)
    if (wrong.length > 0 || after.size !== live.length) {
      return yield* new RouterError({
        message: `Lambda alias ${name} accepted ${showWeights(weights)} but reads back ${[...after].map(([v, w]) => `version ${v}=${w}`).join(" ")}; another writer may be changing it`,
      })
    }
  })

  const weights = Effect.fn("LambdaAliasRouter.weights")(function* (_app: string) {
    const share = routed(yield* getAlias)
    const out: Record<string, number> = {}
    for (const [version, w] of share) {
      const revision = lookup.revisionOf(version)
      if (revision === undefined) {
        return yield* new RouterError({
          message: `Lambda alias ${name} routes to version ${version}, which no revision maps to; add it to versions`,
        })
      }
      out[revision] = w
    }
    return out as Weights
  })

  return { setWeights, weights }
}

/**
 * `TrafficRouter` on a Lambda alias's routing weights.
 *
 * @example
 * import { LambdaAliasRouter } from "@slipway/aws"
 * const RouterLive = LambdaAliasRouter.layer({ client, functionName: "api", alias: "live", versions: { "api-aaa": "6", "api-bbb": "7" } })
 */
export const LambdaAliasRouter = {
  make: makeLambdaAliasRouter,
  layer: (config: LambdaAliasRouterConfig): Layer.Layer<TrafficRouter> =>
    Layer.succeed(TrafficRouter, makeLambdaAliasRouter(config)),
} as const
