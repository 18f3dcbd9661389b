/**
 * `slipway deploy`: build, upload, start the candidate, roll it out, report.
 */
import { ArtifactStore, makeRevision, Packager, Rollout, type Strategy } from "@slipway/core"
import { canary, explain, fromName } from "@slipway/strategies"
import { Effect, Option } from "effect"
import type { Parsed } from "../Cli.ts"
import { UsageError } from "../Cli.ts"
import type { ResolvedConfig } from "../Config.ts"
import { driveRollout } from "../Drive.ts"
import { bold, dim, green, type Output, red } from "../Output.ts"
import { ensureAgent, machineLayer, openSession } from "../Session.ts"

/** What a config without `strategy` gets: short enough to watch, long enough for gates to see traffic. */
export const defaultStrategy = (): Strategy =>
  canary({
    steps: [
      { weight: 20, bake: "30s" },
      { weight: 50, bake: "30s" },
    ],
  })

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `--env KEY=VALUE` flags, checked. */
export const parseEnvFlags = (values: ReadonlyArray<string>): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const v of values) {
    const eq = v.indexOf("=")
    const key = eq > 0 ? v.slice(0, eq) : ""
    if (!ENV_KEY.test(key)) {
      throw new UsageError(
        `--env ${JSON.stringify(v)}: expected KEY=VALUE with KEY made of letters, digits and _`,
      )
    }
    env[key] = v.slice(eq + 1)
  }
  return env
}

export const chooseStrategy = (flag: string | undefined, config: ResolvedConfig): Strategy =>
  flag !== undefined ? fromName(flag) : (config.strategy ?? defaultStrategy())

/** Builds and uploads the app; returns the candidate revision. */
export const buildCandidate = (config: ResolvedConfig, extraEnv: Record<string, string>, out: Output) =>
  Effect.gen(function* () {
    const packager = yield* Packager
    const store = yield* ArtifactStore
    if (!out.json)
      out.out(
        dim(out.color, `building ${config.app}${config.source.build ? ` (${config.source.build})` : ""}…`),
      )
    const artifact = yield* packager.package({ app: config.app, ...config.source })
    const ref = yield* store.put(artifact)
    const candidate = makeRevision({
      app: config.app,
      artifact: ref,
      config: {
        command: [...config.command],
        healthPath: config.healthPath,
        env: { ...config.env, ...extraEnv },
      },
    })
    if (!out.json) {
      out.out(
        `${artifact.reused ? "unchanged" : "built"} ${artifact.digest.slice(0, 19)} (${(artifact.bytes / 1024).toFixed(1)} KiB) → revision ${bold(out.color, candidate.id)}`,
      )
    }
    return candidate
  })

export const deploy = (parsed: Parsed, out: Output) =>
  Effect.gen(function* () {
    const session = yield* openSession(parsed, true)
    const config = session.config!
    const strategy = chooseStrategy(parsed.flags.strategy as string | undefined, config)
    const extraEnv = parseEnvFlags((parsed.flags.env as Array<string> | undefined) ?? [])
    if (parsed.flags["dry-run"]) {
      const plan = explain(strategy, config.gates)
      if (out.json) out.data({ app: config.app, strategy, plan })
      else out.out(plan.text)
      return 0
    }
    yield* ensureAgent(session.stateDir, config.port, (line) => !out.json && out.out(dim(out.color, line)))
    const result = yield* Effect.gen(function* () {
      const candidate = yield* buildCandidate(config, extraEnv, out)
      return yield* driveRollout({ app: config.app, stateDir: session.stateDir, out }, (control) =>
        Rollout.run({
          app: config.app,
          stable: null,
          candidate,
          strategy,
          gates: config.gates,
          replicas: config.replicas,
          control,
        }).pipe(Effect.map(Option.some)),
      )
    }).pipe(Effect.provide(machineLayer(session.stateDir)))
    const outcome = Option.getOrThrow(result)
    // One line, like the events before it: `--json` output is JSON lines throughout.
    if (out.json)
      out.out(
        JSON.stringify({
          status: outcome.status,
          rolloutId: outcome.record.rolloutId,
          candidate: outcome.record.candidate.id,
          report: outcome.report,
          ...(outcome.record.rollbackReason ? { rollbackReason: outcome.record.rollbackReason } : {}),
        }),
      )
    if (outcome.status === "succeeded") {
      if (!out.json)
        out.out(green(out.color, `${config.app}: ${outcome.record.candidate.id} is serving 100%`))
      return 0
    }
    if (!out.json)
      out.err(
        red(out.color, `${config.app}: rolled back — ${outcome.record.rollbackReason ?? "see the report"}`),
      )
    return 1
  })
