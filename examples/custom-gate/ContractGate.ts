/**
 * A gate no built-in covers: "the candidate still answers with every field the stable
 * revision answers with, with the same types". A release that renames `price` to `amount`
 * returns 200, stays fast and raises no error rate — every status, latency and error gate
 * passes it — and still breaks every caller. This gate asks both revisions the same
 * question on their own addresses (so it works at 0% traffic) and compares the shapes.
 */
import { type Gate, type GateContext, type Revision, Verdict } from "@slipway/core"
import { custom, ProbeTarget } from "@slipway/gates"
import { Data, Effect } from "effect"

/** A field of a JSON document and its type, e.g. `discount.percent: number`. */
type Shape = ReadonlyMap<string, string>

/** One side could not be asked: not reachable, not JSON, too slow. */
export class ContractProbeError extends Data.TaggedError("ContractProbeError")<{
  readonly url: string
  readonly message: string
}> {
  override get message(): string {
    return `GET ${this.url}: ${this.message}`
  }
}

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : typeof value

/** Every field path of a JSON value with its type; array items are described by their first element. */
export const shapeOf = (value: unknown, prefix = "", into = new Map<string, string>()): Shape => {
  if (prefix !== "") into.set(prefix, typeOf(value))
  if (Array.isArray(value) && value.length > 0) shapeOf(value[0], `${prefix}[]`, into)
  else if (typeOf(value) === "object") {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      shapeOf(child, prefix === "" ? key : `${prefix}.${key}`, into)
    }
  }
  return into
}

/** What the candidate broke: fields stable has that the candidate lacks or types differently. */
export const contractBreaks = (stable: Shape, candidate: Shape): ReadonlyArray<string> =>
  [...stable].flatMap(([field, type]) => {
    const now = candidate.get(field)
    if (now === undefined) return [`${field} (${type}) is missing`]
    return now === type ? [] : [`${field} is ${now}, was ${type}`]
  })

const getJson = (url: string) =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(url, { signal })
      if (!response.ok) throw new Error(`answered ${response.status}`)
      return (await response.json()) as unknown
    },
    catch: (e) => new ContractProbeError({ url, message: e instanceof Error ? e.message : String(e) }),
  }).pipe(
    Effect.timeoutOrElse({
      duration: "2 seconds",
      orElse: () => Effect.fail(new ContractProbeError({ url, message: "no answer within 2s" })),
    }),
  )

const addressOf = (revision: Revision, path: string) =>
  Effect.map(
    ProbeTarget.use((target) => target.resolve(revision)),
    (base) => `${base.replace(/\/$/, "")}${path}`,
  )

/**
 * The candidate's JSON at `path` keeps the stable revision's fields and types (it may add
 * fields). Passes on a first deployment, when there is nothing to compare with; says
 * Inconclusive (via `Gate.custom`) when either side cannot be asked.
 *
 * @example
 * import { jsonContract } from "./ContractGate.ts"
 * const gates = [Gate.http("/healthz", { name: "health" }), jsonContract("/api/price")]
 */
export const jsonContract = (
  path: `/${string}`,
  options: { readonly name?: string } = {},
): Gate<ProbeTarget> => {
  const name = options.name ?? "contract"
  return custom(
    name,
    (context: GateContext) =>
      Effect.gen(function* () {
        if (context.stable === null) {
          return Verdict.Pass({
            reason: `${path}: first deployment, no stable revision to compare with`,
            evidence: [],
          })
        }
        const stableUrl = yield* addressOf(context.stable, path)
        const candidateUrl = yield* addressOf(context.candidate, path)
        const [expected, actual] = yield* Effect.all([getJson(stableUrl), getJson(candidateUrl)], {
          concurrency: 2,
        })
        const stableShape = shapeOf(expected)
        const breaks = contractBreaks(stableShape, shapeOf(actual))
        const evidence = [
          {
            gate: name,
            query: `GET ${candidateUrl} vs GET ${stableUrl}`,
            observed: breaks.length,
            threshold: "0 fields missing or retyped",
            sampleSize: stableShape.size,
            detail: breaks.length === 0 ? [...stableShape.keys()].join(", ") : breaks.join("; "),
          },
        ]
        return breaks.length === 0
          ? Verdict.Pass({ reason: `${path}: keeps all ${stableShape.size} fields of stable`, evidence })
          : Verdict.Fail({ reason: `${path}: breaks the contract: ${breaks.join("; ")}`, evidence })
      }),
    // Sampled every 2s during a bake; what explain() uses to compute detection times.
    { timing: { interval: 2_000 } },
  )
}
