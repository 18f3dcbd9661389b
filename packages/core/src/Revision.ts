/**
 * A revision is an immutable deployable version: an artifact digest plus the
 * configuration it runs with. Its id is derived from that content, so the same inputs
 * always name the same revision (and re-deploying them is a no-op, not a new rollout).
 */
import { createHash } from "node:crypto"

/** Where an uploaded artifact lives, addressed by the digest of its content. */
export interface ArtifactRef {
  /** `sha256:<hex>` of the artifact's bytes. */
  readonly digest: string
  /** Where the artifact store keeps it (`file://…`, `s3://…`, an ECR image URI, …). */
  readonly uri: string
}

/** An immutable deployable version of an app. */
export interface Revision {
  /** `<app>-<12 hex>`, derived from app, artifact digest and config. */
  readonly id: string
  readonly app: string
  readonly artifact: ArtifactRef
  /** Everything besides the artifact that changes behaviour: env, command, port, health path… */
  readonly config: Readonly<Record<string, unknown>>
}

/**
 * JSON with object keys sorted at every depth, so equal values serialise to equal text
 * whatever order their keys were written in. `undefined` members are dropped, as JSON does.
 *
 * @example
 * import { canonicalJson } from "@slipway/core"
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k]
    return sorted
  })

/**
 * `sha256:<hex>` of a string or bytes.
 *
 * @example
 * import { sha256 } from "@slipway/core"
 * sha256("hello") // "sha256:2cf24dba…"
 */
export const sha256 = (data: string | Uint8Array): string =>
  `sha256:${createHash("sha256").update(data).digest("hex")}`

/**
 * Builds a revision whose id is derived from its content: same app, artifact digest and
 * config give the same id (the artifact's `uri` is where it is stored, not what it is,
 * so it does not count).
 *
 * @example
 * import { makeRevision } from "@slipway/core"
 * const rev = makeRevision({
 *   app: "hello",
 *   artifact: { digest: "sha256:ab12…", uri: "file:///srv/artifacts/ab12" },
 *   config: { port: 3000, healthPath: "/healthz" },
 * })
 * rev.id // "hello-3f9c2a7b1d0e"
 */
export const makeRevision = (input: {
  readonly app: string
  readonly artifact: ArtifactRef
  readonly config?: Readonly<Record<string, unknown>>
}): Revision => {
  const config = input.config ?? {}
  const hash = sha256(canonicalJson({ app: input.app, digest: input.artifact.digest, config }))
  return {
    id: `${input.app}-${hash.slice("sha256:".length, "sha256:".length + 12)}`,
    app: input.app,
    artifact: input.artifact,
    config,
  }
}
