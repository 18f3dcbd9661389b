/**
 * core `Packager` on this machine: runs the app's own build command, in place in the
 * source folder (as `npm run build` would be run by hand — the build sees the folder's
 * `node_modules`), and stores the output folder in the local artifact store under the
 * digest of its content.
 *
 * Unchanged source is recognised before building: the cache key is the digest of the
 * source tree (without the output folder, `node_modules`, `.git`, `.slipway` and what
 * `.slipwayignore` lists) plus the build command and output, so a second `package` of the
 * same source builds nothing and answers `reused: true`.
 */
import { spawn } from "node:child_process"
import { existsSync, statSync } from "node:fs"
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { join, relative, resolve } from "node:path"
import { type Artifact, canonicalJson, PackageError, Packager, type Source, sha256 } from "@slipway/core"
import { Duration, Effect, Layer } from "effect"
import { artifactPath, storeTree } from "./LocalArtifactStore.ts"
import { ReplicaLog } from "./ReplicaLog.ts"
import { digestTree, readIgnoreFile } from "./TreeDigest.ts"

/**
 * Options of the local packager.
 *
 * @example
 * import { LocalPackager } from "@slipway/local"
 * LocalPackager.layer({ stateDir: ".slipway", buildTimeout: 120_000 })
 */
export interface LocalPackagerOptions {
  readonly stateDir: string
  /** Longest a build may run (ms, default 10 minutes). */
  readonly buildTimeout?: number
}

interface CacheEntry {
  readonly digest: string
  readonly bytes: number
}

const fail = (source: Source, message: string, cause?: unknown) =>
  Effect.fail(new PackageError({ app: source.app, message, ...(cause === undefined ? {} : { cause }) }))

const runBuild = (source: Source, cwd: string, command: string, logFile: string, timeout: number) =>
  Effect.acquireUseRelease(
    Effect.sync(() => new ReplicaLog(logFile, 30)),
    (log) =>
      Effect.callback<void, PackageError>((resume) => {
        log.note(`build: ${command} (in ${cwd})`)
        const child = spawn("sh", ["-c", command], {
          cwd,
          env: { ...process.env, SLIPWAY_APP: source.app },
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        })
        log.capture(child.stdout!)
        log.capture(child.stderr!)
        child.once("error", (cause) => {
          resume(fail(source, `could not run the build \`${command}\`: ${cause.message}`, cause))
        })
        child.once("close", (code, signal) => {
          if (code === 0) return resume(Effect.void)
          const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`
          resume(
            fail(
              source,
              [
                `the build \`${command}\` ${how} (in ${cwd}). Last lines (full log: ${logFile}):`,
                ...log.tail(20).map((l) => `  | ${l}`),
                "Fix the build, or `build` in the source.",
              ].join("\n"),
            ),
          )
        })
        // Interrupted (the timeout below): stop the build.
        return Effect.sync(() => {
          try {
            process.kill(-child.pid!, "SIGKILL")
          } catch {
            // already gone
          }
        })
      }),
    // Whatever the outcome (timeout included), it is reported only once the log file is
    // complete, so the log it points to holds every line.
    (log) => Effect.promise(() => log.close()),
  ).pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(timeout),
      orElse: () =>
        fail(
          source,
          `the build \`${command}\` did not finish within ${timeout / 1000}s; it was stopped (log: ${logFile})`,
        ),
    }),
  )

const packageSource = (
  options: LocalPackagerOptions,
  source: Source,
): Effect.Effect<Artifact, PackageError> =>
  Effect.gen(function* () {
    const root = resolve(source.path)
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      return yield* fail(source, `source folder ${root} does not exist; check \`path\``)
    }
    const output = source.output === undefined ? root : resolve(root, source.output)
    const stateDir = resolve(options.stateDir)
    const io = <A>(what: string, f: () => Promise<A>) =>
      Effect.tryPromise({
        try: f,
        catch: (cause) =>
          new PackageError({
            app: source.app,
            message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause,
          }),
      })

    const ignore = yield* io("reading .slipwayignore", () => readIgnoreFile(root))
    const sourceTree = yield* io(`reading ${root}`, () =>
      digestTree(root, { ignore, exclude: output === root ? [stateDir] : [output, stateDir] }),
    )
    const key = sha256(
      canonicalJson({
        source: sourceTree.digest,
        build: source.build ?? null,
        output: source.output ?? null,
      }),
    ).slice("sha256:".length)
    const cacheFile = join(stateDir, "cache", "packages", `${key}.json`)
    const cached = yield* io("reading the build cache", async () => {
      try {
        return JSON.parse(await readFile(cacheFile, "utf8")) as CacheEntry
      } catch {
        return undefined
      }
    })
    if (cached !== undefined && existsSync(artifactPath(stateDir, cached.digest))) {
      return {
        digest: cached.digest,
        path: artifactPath(stateDir, cached.digest),
        bytes: cached.bytes,
        reused: true,
      }
    }

    if (source.build !== undefined) {
      yield* runBuild(
        source,
        root,
        source.build,
        join(stateDir, "logs", "build", `${source.app}.log`),
        options.buildTimeout ?? 600_000,
      )
    }

    const shown = relative(process.cwd(), output) || "."
    const noFiles = `build produced no files in ${shown}; check \`build\`/\`output\``
    if (!existsSync(output) || !statSync(output).isDirectory()) return yield* fail(source, noFiles)
    const tree = yield* io(`reading ${output}`, () => digestTree(output, { ignore, exclude: [stateDir] }))
    if (tree.files.length === 0) return yield* fail(source, noFiles)

    yield* io("storing the artifact", () => storeTree(stateDir, output, tree.files, tree.digest))
    yield* io("writing the build cache", async () => {
      await mkdir(join(stateDir, "cache", "packages"), { recursive: true })
      const temp = `${cacheFile}.${process.pid}.tmp`
      await writeFile(temp, JSON.stringify({ digest: tree.digest, bytes: tree.bytes } satisfies CacheEntry))
      await rename(temp, cacheFile)
    })
    return {
      digest: tree.digest,
      path: artifactPath(stateDir, tree.digest),
      bytes: tree.bytes,
      reused: false,
    }
  })

/**
 * The local `Packager`. Artifacts land directly in the local store
 * (`<stateDir>/artifacts/sha256-<hex>/`), so `LocalArtifactStore.put` of one is a no-op.
 *
 * @example
 * import { Packager } from "@slipway/core"
 * import { LocalPackager } from "@slipway/local"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const packager = yield* Packager
 *   const artifact = yield* packager.package({ app: "hello", path: "examples/hello-node", build: "npm run build", output: "dist" })
 *   // { digest: "sha256:…", path: ".slipway/artifacts/sha256-…", bytes: 2345, reused: false }
 * }).pipe(Effect.provide(LocalPackager.layer({ stateDir: ".slipway" })))
 */
export const layer = (options: LocalPackagerOptions): Layer.Layer<Packager> =>
  Layer.succeed(Packager, Packager.of({ package: (source) => packageSource(options, source) }))
