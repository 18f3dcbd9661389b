/**
 * The agent's control protocol: JSON over HTTP/1.1 on a unix socket in the state
 * directory (never a TCP port, so nothing off this machine — and no other user, given
 * the directory's permissions — can reach it). Shapes are schemas so both ends check
 * what crosses the socket.
 */
import { createHash } from "node:crypto"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Schema } from "effect"

export const RevisionSchema = Schema.Struct({
  id: Schema.String,
  app: Schema.String,
  artifact: Schema.Struct({ digest: Schema.String, uri: Schema.String }),
  config: Schema.Record(Schema.String, Schema.Unknown),
})

export const EnsureRequest = Schema.Struct({ revision: RevisionSchema, replicas: Schema.Number })
export const ScaleRequest = Schema.Struct({ revision: Schema.String, replicas: Schema.Number })
export const WeightsRequest = Schema.Struct({
  app: Schema.String,
  weights: Schema.Record(Schema.String, Schema.Number),
})
export const MetricRequest = Schema.Struct({
  app: Schema.String,
  revision: Schema.String,
  metric: Schema.String,
  window: Schema.Number,
})

/** What `GET /agent` answers: enough for `slipway agent status` and for clients to find the proxy. */
export const AgentInfo = Schema.Struct({
  pid: Schema.Number,
  version: Schema.String,
  stateDir: Schema.String,
  proxyUrl: Schema.String,
  adminUrl: Schema.String,
  startedAt: Schema.Number,
  revisions: Schema.Array(
    Schema.Struct({
      revision: Schema.String,
      app: Schema.String,
      desired: Schema.Number,
      ready: Schema.Number,
      restarts: Schema.Number,
      /** Each replica's process, so an operator (or a test) can find, inspect or kill it. */
      replicas: Schema.optionalKey(
        Schema.Array(
          Schema.Struct({
            index: Schema.Number,
            state: Schema.String,
            pid: Schema.NullOr(Schema.Number),
            port: Schema.NullOr(Schema.Number),
            restarts: Schema.Number,
          }),
        ),
      ),
    }),
  ),
  routes: Schema.Record(Schema.String, Schema.Record(Schema.String, Schema.Number)),
})
export type AgentInfo = typeof AgentInfo.Type

/** Error body: `{ error: { tag, message } }` — the tag lets the client rebuild the tagged error. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({ tag: Schema.String, message: Schema.String }),
})

/**
 * Where the agent listens for a state directory. Unix socket paths are limited to about
 * 100 bytes, so a deep state directory gets a socket in the temp folder named after a
 * hash of the directory (still private: the agent creates it with mode 0600).
 */
export const socketPathOf = (stateDir: string): string => {
  const direct = join(resolve(stateDir), "agent.sock")
  if (Buffer.byteLength(direct) <= 100) return direct
  const hash = createHash("sha256").update(resolve(stateDir)).digest("hex").slice(0, 16)
  return join(tmpdir(), `slipway-agent-${hash}.sock`)
}
