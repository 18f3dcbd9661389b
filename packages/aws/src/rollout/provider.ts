/**
 * The `DrivenRollout` dynamic provider's implementation, published as
 * `@slipway/aws/rollout-provider`. Pulumi runs dynamic providers in a separate Node
 * process that receives the provider as serialized source text; the serialized provider
 * (`DrivenRollout.ts`) is a few lines that `require` this module by name from the project's
 * `node_modules`, so nothing of effect or the AWS SDK has to survive closure serialization.
 *
 * Progress goes to stdout (Pulumi shows a dynamic provider's output in the `pulumi up`
 * log). A rolled-back rollout fails the operation with a "resource initialization failed"
 * error carrying the state that is true now (the stable revision serves), so Pulumi keeps
 * it and the next `pulumi up` retries the rollout.
 */
import { Cause, Effect, Exit } from "effect"
import { type AwsClients, awsClients } from "./DrivenRuntime.ts"
import {
  checkRollout,
  createRollout,
  type DrivenRolloutError,
  deleteRollout,
  diffRollout,
  type RolloutDeps,
  updateRollout,
} from "./RolloutOperations.ts"

// The provider process serves every DrivenRollout of the stack: reuse clients per region.
const clientCache = new Map<string, AwsClients>()

const liveDeps: RolloutDeps = {
  clients: ({ region, profile }) => {
    const key = `${region}\u0000${profile ?? ""}`
    let clients = clientCache.get(key)
    if (clients === undefined) {
      clients = awsClients({ region, ...(profile === undefined ? {} : { profile }) })
      clientCache.set(key, clients)
    }
    return clients
  },
  log: (line) => Effect.sync(() => console.log(line)),
}

const PROVIDER_KEY = "__provider"

/**
 * An Error Pulumi's dynamic provider host understands: with `id`, `properties` and
 * `reasons` it reports "resource initialization failed" and records `properties` as the
 * resource's state; without them the operation failed and the old state stands.
 */
const toError = (
  cause: Cause.Cause<DrivenRolloutError>,
  id: string | undefined,
  provider: unknown,
): Error => {
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "None") return new Error(Cause.pretty(cause))
  const error = failure.value
  if (error._tag === "RolloutRolledBack" && id !== undefined) {
    return Object.assign(new Error(error.message), {
      id,
      properties: { ...error.state, [PROVIDER_KEY]: provider },
      reasons: [error.message],
    })
  }
  return new Error(error.message)
}

const run = async <A>(
  effect: Effect.Effect<A, DrivenRolloutError>,
  context: { readonly id?: string; readonly provider?: unknown },
): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw toError(exit.cause, context.id, context.provider)
}

const appOf = (inputs: unknown): string | undefined => {
  const app = (inputs as { readonly app?: unknown } | null)?.app
  return typeof app === "string" ? app : undefined
}

/**
 * A provider over the given dependencies (the exported `drivenRolloutProvider` uses real
 * SDK clients and stdout; tests pass fakes).
 *
 * @example
 * import { makeDrivenRolloutProvider } from "@slipway/aws/rollout-provider"
 * const provider = makeDrivenRolloutProvider({ clients: () => stubClients, log: () => Effect.void })
 */
export const makeDrivenRolloutProvider = (deps: RolloutDeps) =>
  ({
    check: async (olds: unknown, news: unknown) => checkRollout(olds, news),
    diff: async (_id: string, olds: unknown, news: unknown) => diffRollout(olds, news),
    create: async (inputs: Record<string, unknown>) =>
      run(createRollout(inputs, deps), { id: appOf(inputs), provider: inputs[PROVIDER_KEY] }),
    update: async (id: string, olds: unknown, news: Record<string, unknown>) =>
      run(updateRollout(id, olds, news, deps), { id, provider: news[PROVIDER_KEY] }),
    delete: async (id: string, props: unknown) => run(deleteRollout(id, props, deps), {}),
  }) as const

/**
 * The provider's methods, as Pulumi's dynamic provider host calls them.
 *
 * @example
 * // What the serialized provider does in Pulumi's provider process:
 * const { drivenRolloutProvider } = require("@slipway/aws/rollout-provider")
 * await drivenRolloutProvider.update(id, olds, news)
 */
export const drivenRolloutProvider = makeDrivenRolloutProvider(liveDeps)
