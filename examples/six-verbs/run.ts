/**
 * The hand-made canary against two providers: core's in-memory layers (instant, every
 * call recorded) and this machine (hello-node's replicas behind the local proxy).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Memory, MemoryWorld } from "@slipway/core"
import { LocalTarget } from "@slipway/local"
import { Effect, Layer } from "effect"
import { type CanaryResult, handMadeCanary, type Release } from "./HandMadeCanary.ts"
import * as Traffic from "./Traffic.ts"

/** hello-node's server needs no build: its `src/` folder is the artifact. */
const helloNode = join(import.meta.dirname, "..", "hello-node", "src")

/** A release of hello-node reporting `version`; `env` adds fault switches such as `FAULT_ERROR_RATE`. */
export const release = (version: string, env: Readonly<Record<string, string>> = {}): Release => ({
  source: { app: "hello", path: helloNode },
  // process.execPath: the replicas run on the Node that runs this program.
  config: {
    command: [process.execPath, "server.js"],
    healthPath: "/healthz",
    env: { APP_VERSION: version, ...env },
  },
  replicas: 2,
})

const canaryOptions = { weight: 10, requests: 200, maxErrorRate: 0.01 } as const

/** In memory: no processes; returns the result and every call the program made. */
export const runInMemory = (candidate: Release = release("2.0.0")) =>
  Effect.gen(function* () {
    const result = yield* handMadeCanary(release("1.0.0"), candidate, canaryOptions)
    const calls = yield* (yield* MemoryWorld).calls
    return { result, calls }
  }).pipe(Effect.provide(Traffic.layerMemory.pipe(Layer.provideMerge(Memory.layer))))

/**
 * On this machine, in a fresh state directory that is removed afterwards. Closing the
 * layer stops every replica (SIGTERM, drain) and the proxy.
 */
export const runOnThisMachine = (
  candidate: Release = release("2.0.0"),
): Effect.Effect<CanaryResult, unknown> =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "slipway-six-verbs-"))),
    (stateDir) =>
      handMadeCanary(release("1.0.0"), candidate, canaryOptions).pipe(
        // Ports 0: the proxy and admin listener take free ports on 127.0.0.1.
        Effect.provide(Layer.merge(LocalTarget.layer({ stateDir }), Traffic.layerHttp)),
      ),
    (stateDir) => Effect.sync(() => rmSync(stateDir, { recursive: true, force: true })),
  )
