/**
 * core `ArtifactStore` on this machine: a content-addressed directory store at
 * `<stateDir>/artifacts/sha256-<hex>/`. A release directory is copied into a temporary
 * directory beside its final place and renamed into it, so a reader never sees half an
 * artifact and two writers of the same digest cannot corrupt each other. Putting what is
 * already there copies nothing.
 */
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { chmod, copyFile, mkdir, rename, rm, symlink } from "node:fs/promises"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { type Artifact, type ArtifactRef, ArtifactStore, UploadError } from "@slipway/core"
import { Effect, Layer } from "effect"
import { digestTree, type TreeEntry } from "./TreeDigest.ts"

const DIGEST = /^sha256:([0-9a-f]{64})$/

/**
 * Where the store keeps the artifact with `digest` (`sha256:<hex>`), whether or not it is there.
 *
 * @example
 * import { artifactPath } from "@slipway/local"
 * artifactPath("/srv/slipway", "sha256:ab…") // "/srv/slipway/artifacts/sha256-ab…"
 */
export const artifactPath = (stateDir: string, digest: string): string =>
  join(stateDir, "artifacts", digest.replace(":", "-"))

/**
 * The `file://` URI of a stored artifact (with a trailing slash: it is a directory).
 *
 * @example
 * import { LocalArtifactStore } from "@slipway/local"
 * LocalArtifactStore.artifactUri("/srv/slipway", "sha256:ab…") // "file:///srv/slipway/artifacts/sha256-ab…/"
 */
export const artifactUri = (stateDir: string, digest: string): string =>
  `${pathToFileURL(artifactPath(stateDir, digest)).href}/`

/**
 * Copies `files` of `source` into the store under `digest`, atomically. Returns true when
 * it copied, false when the artifact was already there.
 *
 * @example
 * import { digestTree, LocalArtifactStore } from "@slipway/local"
 * const tree = await digestTree("dist")
 * await LocalArtifactStore.storeTree(".slipway", "dist", tree.files, tree.digest) // true, then false
 */
export const storeTree = async (
  stateDir: string,
  source: string,
  files: ReadonlyArray<TreeEntry>,
  digest: string,
): Promise<boolean> => {
  const final = artifactPath(stateDir, digest)
  if (existsSync(final)) return false
  const temp = join(stateDir, "artifacts", `.tmp-${randomBytes(6).toString("hex")}`)
  await mkdir(temp, { recursive: true })
  try {
    for (const file of files) {
      const to = join(temp, file.path)
      await mkdir(dirname(to), { recursive: true })
      if (file.link !== undefined) {
        await symlink(file.link, to)
      } else {
        await copyFile(join(source, file.path), to)
        await chmod(to, file.mode)
      }
    }
    try {
      await rename(temp, final)
      return true
    } catch (cause) {
      // Another writer stored the same digest first: same content, nothing to do.
      if (existsSync(final)) return false
      throw cause
    }
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

/**
 * The local `ArtifactStore`. `put` checks that the artifact's files hash to its digest
 * before storing them, so the store never holds content under the wrong name.
 *
 * @example
 * import { ArtifactStore, Packager } from "@slipway/core"
 * import { LocalArtifactStore, LocalPackager } from "@slipway/local"
 * import { Effect, Layer } from "effect"
 * const program = Effect.gen(function* () {
 *   const artifact = yield* (yield* Packager).package({ app: "hello", path: "examples/hello-node", build: "npm run build", output: "dist" })
 *   const ref = yield* (yield* ArtifactStore).put(artifact) // { digest: "sha256:…", uri: "file:///…/artifacts/sha256-…/" }
 * }).pipe(Effect.provide(Layer.mergeAll(LocalPackager.layer({ stateDir: ".slipway" }), LocalArtifactStore.layer({ stateDir: ".slipway" }))))
 */
export const layer = (options: { readonly stateDir: string }): Layer.Layer<ArtifactStore> =>
  Layer.succeed(
    ArtifactStore,
    ArtifactStore.of({
      has: (digest) =>
        DIGEST.test(digest)
          ? Effect.sync(() => existsSync(artifactPath(options.stateDir, digest)))
          : Effect.fail(
              new UploadError({ digest, message: `"${digest}" is not a digest; expected sha256:<64 hex>` }),
            ),
      put: (artifact: Artifact) =>
        Effect.tryPromise({
          try: async (): Promise<ArtifactRef> => {
            const ref = { digest: artifact.digest, uri: artifactUri(options.stateDir, artifact.digest) }
            if (!DIGEST.test(artifact.digest))
              throw new Error(`"${artifact.digest}" is not a digest; expected sha256:<64 hex>`)
            if (existsSync(artifactPath(options.stateDir, artifact.digest))) return ref
            if (!existsSync(artifact.path))
              throw new Error(`${artifact.path} does not exist; package the app first`)
            const tree = await digestTree(artifact.path)
            if (tree.digest !== artifact.digest) {
              throw new Error(
                `the files in ${artifact.path} hash to ${tree.digest}, not ${artifact.digest}; they changed after packaging — package again`,
              )
            }
            await storeTree(options.stateDir, artifact.path, tree.files, artifact.digest)
            return ref
          },
          catch: (cause) =>
            new UploadError({
              digest: artifact.digest,
              message: cause instanceof Error ? cause.message : String(cause),
              cause,
            }),
        }),
    }),
  )
