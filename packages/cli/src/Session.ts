/**
 * What every command needs: the config (when there is one), the state directory, and
 * the layers that drive this machine through its agent.
 */
import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { Journal } from "@slipway/core"
import { AlarmError, AlarmSource, ProbeTarget, ProbeTargetError } from "@slipway/gates"
import {
  Agent,
  AgentClient,
  type AgentInfo,
  LocalArtifactStore,
  LocalPackager,
  socketPathOf,
  startAgent,
} from "@slipway/local"
import { Effect, Layer } from "effect"
import type { Parsed } from "./Cli.ts"
import { loadConfig, type ResolvedConfig } from "./Config.ts"

export interface Session {
  readonly config: ResolvedConfig | undefined
  readonly stateDir: string
}

const DEFAULT_CONFIG = "slipway.config.ts"

/** Loads the config if `--config` was given or `./slipway.config.ts` exists; `required` makes its absence an error. */
export const openSession = (parsed: Parsed, required: boolean) =>
  Effect.gen(function* () {
    const flag = parsed.flags.config as string | undefined
    const path = flag ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined)
    const config = path !== undefined || required ? yield* loadConfig(path ?? DEFAULT_CONFIG) : undefined
    const stateFlag = parsed.flags["state-dir"] as string | undefined
    const stateDir = stateFlag ? resolve(stateFlag) : (config?.stateDir ?? resolve(".slipway"))
    return { config, stateDir } satisfies Session
  })

/**
 * Probes reach a candidate's replica directly (it may have no traffic yet); alarms are an
 * AWS notion with no local meaning, so an alarm gate says so instead of crashing.
 */
const gateServices = Layer.mergeAll(
  Layer.effect(
    ProbeTarget,
    Effect.map(Effect.service(Agent), (agent) =>
      ProbeTarget.of({
        resolve: (revision) =>
          agent.address(revision.id).pipe(
            Effect.mapError((e) => new ProbeTargetError({ revision: revision.id, message: e.message })),
            Effect.flatMap((url) =>
              url === null
                ? Effect.fail(
                    new ProbeTargetError({
                      revision: revision.id,
                      message: `no ready replica of ${revision.id}`,
                    }),
                  )
                : Effect.succeed(url),
            ),
          ),
      }),
    ),
  ),
  Layer.succeed(
    AlarmSource,
    AlarmSource.of({
      state: (name) =>
        Effect.fail(
          new AlarmError({
            alarm: name,
            message:
              "CloudWatch alarms are not available when deploying to this machine; use metric gates instead",
          }),
        ),
    }),
  ),
)

/**
 * Everything a rollout on this machine needs, backed by the agent of `stateDir`
 * (which must be running): remote Compute/TrafficRouter/MetricSource, probes, the
 * file journal, and in-process packaging into the same artifact store.
 */
export const machineLayer = (stateDir: string) => {
  const agent = AgentClient.layer(socketPathOf(stateDir))
  return Layer.mergeAll(
    Layer.provideMerge(gateServices, agent),
    Journal.layerFile(join(stateDir, "journal")),
    LocalPackager.layer({ stateDir }),
    LocalArtifactStore.layer({ stateDir }),
  )
}

/** Starts the agent unless it runs, telling the user when it had to. */
export const ensureAgent = (
  stateDir: string,
  port: number,
  say: (line: string) => void,
): Effect.Effect<AgentInfo, Error> =>
  startAgent({ stateDir, proxyPort: port }).pipe(
    Effect.tap((info) => Effect.sync(() => say(`agent pid ${info.pid}: apps on ${info.proxyUrl}`))),
  )
