/**
 * `slipway.config.ts`: what to deploy and how. A TypeScript module whose default export
 * is `defineConfig({...})`, so strategies and gates are real values from
 * `@slipway/strategies` and `@slipway/gates`, type-checked in the user's editor.
 */
import { existsSync } from "node:fs"
import { dirname, isAbsolute, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { type Gate, type MetricSource, type Strategy, strategyIssues } from "@slipway/core"
import type { AlarmSource, ProbeTarget } from "@slipway/gates"
import { Data, Effect } from "effect"

/** What a gate may use on this machine: proxy metrics, probes of replicas (alarms are refused with a clear verdict). */
export type LocalGate = Gate<MetricSource | ProbeTarget | AlarmSource>

/** A deployment of one app to this machine. */
export interface SlipwayConfig {
  /** App name: lowercase letters, digits and dashes (it names revisions, processes and the local URL). */
  readonly app: string
  /** How to build the app. Paths are relative to the config file. */
  readonly build?: {
    /** Source folder (default: the config file's folder). */
    readonly path?: string
    /** Build command, run in `path` (e.g. `npm run build`). */
    readonly command?: string
    /** Folder the build writes, relative to `path` (default: `path` itself). */
    readonly output?: string
  }
  /** How to run a replica. The agent sets `PORT`; the app must listen on it. */
  readonly run: {
    /** Command run in the release folder, e.g. `["node", "server.js"]`. */
    readonly command: string | ReadonlyArray<string>
    /** Replicas per revision (default 2). */
    readonly replicas?: number
    /** Readiness path: must answer 2xx before a replica gets traffic (default `/healthz`). */
    readonly healthPath?: string
    /** Environment for every replica. Changing it makes a new revision. */
    readonly env?: Readonly<Record<string, string>>
  }
  /** Rollout strategy (default: a three-step canary). `--strategy` overrides it. */
  readonly strategy?: Strategy
  /** Health gates evaluated after every step and during bakes. */
  readonly gates?: ReadonlyArray<LocalGate>
  /** Public port of the local proxy (default 8080). */
  readonly port?: number
  /** State directory, relative to the config file (default `.slipway`). */
  readonly stateDir?: string
}

/**
 * Declares a config with types checked in the editor.
 *
 * @example
 * // slipway.config.ts
 * import { defineConfig } from "slipway"
 * import { canary } from "@slipway/strategies"
 * import * as Gate from "@slipway/gates"
 *
 * export default defineConfig({
 *   app: "hello",
 *   build: { command: "npm run build", output: "dist" },
 *   run: { command: ["node", "server.js"], replicas: 2 },
 *   strategy: canary({ steps: [{ weight: 20, bake: "30s" }, { weight: 50, bake: "30s" }] }),
 *   gates: [Gate.errorRate({ max: 0.01, window: "30s" })],
 * })
 */
export const defineConfig = (config: SlipwayConfig): SlipwayConfig => config

/** A config that cannot be used, with the file and the field at fault. */
export class ConfigInvalid extends Data.TaggedError("ConfigInvalid")<{
  readonly file: string
  readonly problems: ReadonlyArray<string>
}> {
  override get message(): string {
    return `${this.file} is not a valid slipway config:\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
  }
}

/** A config with every default applied and every path absolute. */
export interface ResolvedConfig {
  readonly file: string
  readonly app: string
  readonly source: { readonly path: string; readonly build?: string; readonly output?: string }
  readonly command: ReadonlyArray<string>
  readonly replicas: number
  readonly healthPath: string
  readonly env: Readonly<Record<string, string>>
  readonly strategy: Strategy | undefined
  readonly gates: ReadonlyArray<LocalGate>
  readonly port: number
  readonly stateDir: string
}

const APP_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/

const TOP_KEYS = ["app", "build", "run", "strategy", "gates", "port", "stateDir"] as const
const BUILD_KEYS = ["path", "command", "output"] as const
const RUN_KEYS = ["command", "replicas", "healthPath", "env"] as const

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

// A misspelt field would otherwise be ignored without a word (a `gate:` list that gates nothing).
const unknownKeys = (
  at: string,
  value: Record<string, unknown>,
  known: ReadonlyArray<string>,
  problems: Array<string>,
) => {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const near = known.find(
      (k) => k.toLowerCase().startsWith(key.toLowerCase().slice(0, 3)) || key.startsWith(k),
    )
    problems.push(
      `${at}${key}: not a config field${near ? ` (did you mean "${near}"?)` : ""}; known: ${known.join(", ")}`,
    )
  }
}

/** Checks a config value and applies defaults; every problem names its field and the fix. */
export const resolveConfig = (file: string, value: unknown): Effect.Effect<ResolvedConfig, ConfigInvalid> =>
  Effect.suspend(() => {
    const problems: Array<string> = []
    const fail = () => Effect.fail(new ConfigInvalid({ file, problems }))
    if (!isRecord(value)) {
      problems.push(
        "the default export must be an object: `export default defineConfig({ app, run: { command } })`",
      )
      return fail()
    }
    const c = value as Partial<SlipwayConfig>
    const dir = dirname(file)
    unknownKeys("", value, TOP_KEYS, problems)
    if (typeof c.app !== "string" || !APP_NAME.test(c.app)) {
      problems.push(
        `app: ${JSON.stringify(c.app)} is not a valid name; use 2–40 lowercase letters, digits and dashes, starting with a letter (e.g. "hello-api")`,
      )
    }
    const build: Record<string, unknown> = isRecord(c.build) ? c.build : {}
    if (c.build !== undefined && !isRecord(c.build)) {
      problems.push('build: must be an object such as { command: "npm run build", output: "dist" }')
    } else if (c.build !== undefined) {
      unknownKeys("build.", build, BUILD_KEYS, problems)
    }
    for (const key of BUILD_KEYS) {
      const v = build[key]
      if (v !== undefined && (typeof v !== "string" || v.length === 0)) {
        problems.push(`build.${key}: must be a non-empty string (got ${JSON.stringify(v)})`)
      }
    }
    const run = c.run as Record<string, unknown> | undefined
    let command: ReadonlyArray<string> = []
    if (!isRecord(run)) {
      problems.push('run: missing; say how to start a replica, e.g. run: { command: ["node", "server.js"] }')
    } else {
      unknownKeys("run.", run, RUN_KEYS, problems)
      const raw = run.command
      const parts: ReadonlyArray<unknown> =
        typeof raw === "string" ? raw.split(/\s+/).filter(Boolean) : Array.isArray(raw) ? raw : []
      if (parts.length === 0 || parts.some((p) => typeof p !== "string" || p.length === 0)) {
        problems.push(
          `run.command: ${raw === undefined ? "missing" : `${JSON.stringify(raw)} is not a command`}; use ["node", "server.js"] or "node server.js"`,
        )
      } else {
        command = parts as ReadonlyArray<string>
      }
      if (
        run.replicas !== undefined &&
        (!Number.isInteger(run.replicas) || (run.replicas as number) < 1 || (run.replicas as number) > 32)
      ) {
        problems.push(`run.replicas: ${JSON.stringify(run.replicas)} is not a whole number from 1 to 32`)
      }
      if (
        run.healthPath !== undefined &&
        (typeof run.healthPath !== "string" || !run.healthPath.startsWith("/"))
      ) {
        problems.push(
          `run.healthPath: ${JSON.stringify(run.healthPath)} must be a path starting with "/" (e.g. "/healthz")`,
        )
      }
      if (run.env !== undefined && !isRecord(run.env)) {
        problems.push('run.env: must be an object of strings such as { LOG_LEVEL: "info" }')
      } else {
        for (const [k, v] of Object.entries(run.env ?? {})) {
          if (typeof v !== "string") problems.push(`run.env.${k}: must be a string (got ${typeof v})`)
        }
      }
    }
    if (c.port !== undefined && (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535)) {
      problems.push(`port: ${JSON.stringify(c.port)} is not a TCP port; use 1–65535 (or 0 for any free port)`)
    }
    if (c.stateDir !== undefined && (typeof c.stateDir !== "string" || c.stateDir.length === 0)) {
      problems.push(`stateDir: must be a folder path (got ${JSON.stringify(c.stateDir)})`)
    }
    if (c.strategy !== undefined) {
      for (const issue of strategyIssues(c.strategy))
        problems.push(`strategy.${issue.path}: ${issue.message}`)
    }
    if (c.gates !== undefined) {
      if (!Array.isArray(c.gates)) problems.push("gates: must be an array of gates from @slipway/gates")
      else
        c.gates.forEach((g: LocalGate, i: number) => {
          if (typeof g?.name !== "string" || typeof g?.check !== "function") {
            problems.push(
              `gates[${i}]: not a gate; build gates with @slipway/gates (e.g. Gate.http("/healthz"))`,
            )
          }
        })
    }
    const buildPath = typeof build.path === "string" ? build.path : "."
    const sourcePath = resolve(dir, buildPath)
    if (!existsSync(sourcePath)) problems.push(`build.path: ${sourcePath} does not exist`)
    if (problems.length > 0) return fail()
    const runConfig = run as NonNullable<SlipwayConfig["run"]>
    return Effect.succeed({
      file,
      app: c.app!,
      source: {
        path: sourcePath,
        ...(typeof build.command === "string" ? { build: build.command } : {}),
        ...(typeof build.output === "string" ? { output: build.output } : {}),
      },
      command,
      replicas: runConfig.replicas ?? 2,
      healthPath: runConfig.healthPath ?? "/healthz",
      env: { ...(runConfig.env ?? {}) },
      strategy: c.strategy,
      gates: c.gates ?? [],
      port: c.port ?? 8080,
      stateDir: resolve(dir, c.stateDir ?? ".slipway"),
    })
  })

/**
 * Why a config module did not load, in one line. A TypeScript syntax error's message has
 * no position; its stack starts with `file:///…:LINE` and the offending line, so say where.
 */
const loadFailure = (e: unknown): string => {
  const error = e as { message?: string; stack?: string }
  const message = (error?.message ?? String(e)).split("\n")[0]
  const stack = (error?.stack ?? "").split("\n")
  const line = /^file:\/\/.*:(\d+)$/.exec(stack[0] ?? "")?.[1]
  // The frame shows some context, then the offending line, then a caret under the spot.
  const caret = stack.findIndex((l, i) => i > 0 && /^\s*\^+\s*$/.test(l))
  const code = caret > 1 ? stack[caret - 1]!.trim() : undefined
  return line === undefined ? `${message}` : `${message} at line ${line}${code ? `: ${code}` : ""}`
}

/**
 * Loads and checks `slipway.config.ts` (or `.js`/`.mjs`). Nothing is deployed when this fails.
 *
 * @example
 * import { loadConfig } from "slipway"
 * import { Effect } from "effect"
 * const config = await Effect.runPromise(loadConfig("slipway.config.ts"))
 */
export const loadConfig = (path: string): Effect.Effect<ResolvedConfig, ConfigInvalid> =>
  Effect.gen(function* () {
    const file = isAbsolute(path) ? path : resolve(process.cwd(), path)
    if (!existsSync(file)) {
      return yield* Effect.fail(
        new ConfigInvalid({
          file,
          problems: ["file not found; create slipway.config.ts or pass --config <file>"],
        }),
      )
    }
    const mod = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(file).href) as Promise<{ default?: unknown }>,
      catch: (e) => new ConfigInvalid({ file, problems: [`could not load: ${loadFailure(e)}`] }),
    })
    return yield* resolveConfig(file, mod.default)
  })
