/**
 * TCP probes: can a connection be opened? For services that speak something other
 * than HTTP (a database port, a gRPC listener before it serves health), or to tell
 * "not listening" apart from "answering badly".
 */

import { connect } from "node:net"
import { type DurationInput, formatDuration, type Gate, Verdict } from "@slipway/core"
import { Clock, Effect, Option } from "effect"
import { GateConfigError } from "./GateConfigError.ts"
import { formatNumber } from "./internal/format.ts"
import { describeNetworkError } from "./internal/network.ts"
import { countOption, positiveDurationOption } from "./internal/options.ts"
import { guard } from "./internal/verdicts.ts"

/**
 * Options of {@link tcp}.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const redis = Gate.tcp("10.0.2.14", 6379, { timeout: "500ms", name: "redis reachable" })
 */
export interface TcpProbeOptions {
  /** Longest wait for the connection (default `"5s"`). */
  readonly timeout?: DurationInput
  /** Gate name (default `tcp host:port`). */
  readonly name?: string
}

type Connected = { readonly _tag: "Connected" } | { readonly _tag: "Error"; readonly error: unknown }

/**
 * A TCP probe: passes when a connection to `host:port` opens within `timeout`, then
 * closes it at once.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const postgres = Gate.tcp("127.0.0.1", 5432, { timeout: "1s" })
 */
export const tcp = (host: string, port: number, options: TcpProbeOptions = {}): Gate => {
  const name = options.name ?? `tcp ${host}:${port}`
  countOption(name, "port", port, 1)
  if (port > 65_535)
    throw new GateConfigError({ gate: name, field: "port", problem: `${port} is above 65535` })
  const timeoutMs = positiveDurationOption(name, "timeout", options.timeout ?? "5s")
  const query = `tcp connect ${host}:${port}`
  const threshold = `connects within ${formatDuration(timeoutMs)}`

  const open = Effect.callback<Connected>((resume) => {
    const socket = connect({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed({ _tag: "Connected" }))
    })
    socket.once("error", (error) => {
      socket.destroy()
      resume(Effect.succeed({ _tag: "Error", error }))
    })
    // Interrupted (timed out): drop the half-open connection.
    return Effect.sync(() => socket.destroy())
  })

  return {
    name,
    check: () =>
      guard(
        name,
        Effect.gen(function* () {
          const started = yield* Clock.currentTimeMillis
          const outcome = yield* open.pipe(Effect.timeoutOption(timeoutMs))
          const elapsed = (yield* Clock.currentTimeMillis) - started
          if (Option.isNone(outcome)) {
            const what = `no connection within ${formatDuration(timeoutMs)}`
            return Verdict.Fail({
              reason: `${query}: ${what}`,
              evidence: [{ gate: name, query, observed: null, threshold, sampleSize: 1, detail: what }],
            })
          }
          if (outcome.value._tag === "Error") {
            const what = describeNetworkError(outcome.value.error)
            return Verdict.Fail({
              reason: `${query}: ${what}`,
              evidence: [{ gate: name, query, observed: null, threshold, sampleSize: 1, detail: what }],
            })
          }
          return Verdict.Pass({
            reason: `${query} in ${formatNumber(elapsed)}ms`,
            evidence: [
              {
                gate: name,
                query,
                observed: elapsed,
                threshold,
                values: [elapsed],
                sampleSize: 1,
                detail: "connected",
              },
            ],
          })
        }),
      ),
  }
}
