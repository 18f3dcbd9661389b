/**
 * Helpers every gate uses to keep the promise that `check` never fails: defects turn into
 * Inconclusive verdicts that say what went wrong, and evidence is relabelled when a gate
 * is renamed. Internal.
 */
import { type Evidence, Verdict } from "@slipway/core"
import { Cause, Effect } from "effect"

/** The message of whatever a cause holds, for a one-line reason. */
export const causeMessage = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) return error.message || error.name
  return String(error)
}

/** The message of an error value of any shape. */
export const errorMessage = (error: unknown): string => {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message)
  return String(error)
}

/**
 * Runs a gate body so that a defect (a bug, an unexpected throw) becomes Inconclusive
 * with its message instead of killing the rollout. Interruption still propagates: an
 * outer timeout or an abort must be able to stop a gate.
 */
export const guard = <R>(
  gate: string,
  body: Effect.Effect<Verdict, unknown, R>,
): Effect.Effect<Verdict, never, R> =>
  body.pipe(
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause as Cause.Cause<never>)
        : Effect.succeed(
            Verdict.Inconclusive({
              reason: `${gate} could not evaluate: ${causeMessage(cause)}`,
              evidence: [{ gate, detail: excerptCause(cause) }],
            }),
          ),
    ),
  )

const excerptCause = (cause: Cause.Cause<unknown>): string => {
  const text = causeMessage(cause)
  return text.length > 500 ? `${text.slice(0, 499)}…` : text
}

/** A verdict of the same kind with another reason and evidence. */
export const sameKind = (verdict: Verdict, reason: string, evidence: ReadonlyArray<Evidence>): Verdict => {
  switch (verdict._tag) {
    case "Pass":
      return Verdict.Pass({ reason, evidence })
    case "Fail":
      return Verdict.Fail({ reason, evidence })
    case "Inconclusive":
      return Verdict.Inconclusive({ reason, evidence })
  }
}

/** Prefixes each evidence detail, e.g. with the sample it came from. */
export const annotate = (evidence: ReadonlyArray<Evidence>, note: string): Array<Evidence> =>
  evidence.map((e) => ({ ...e, detail: e.detail === undefined ? note : `${note}; ${e.detail}` }))
