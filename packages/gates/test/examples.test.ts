import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const run = (example: string) =>
  Effect.promise(() =>
    promisify(execFile)(
      process.execPath,
      ["--conditions=@slipway/source", fileURLToPath(new URL(`../examples/${example}`, import.meta.url))],
      { timeout: 20_000 },
    ),
  ).pipe(Effect.map(({ stdout }) => stdout))

// The README shows these programs and their output; they must keep running as shown.
describe("README examples", () => {
  it.live("quickstart fails a slower candidate and explains why", () =>
    Effect.gen(function* () {
      const out = yield* run("quickstart.ts")
      assert.match(
        out,
        /^Fail: p95 306 ms > 300 ms over 1m \(n=300\); latency higher on the candidate: median 284 ms vs 205 ms/,
      )
      assert.match(
        out,
        /\[traffic ≥ 100\] memory:requests\{app="api",revision="api-[0-9a-f]{12}"\}\[1m\] → 300/,
      )
    }),
  )

  it.live("probes pass the healthy endpoint and fail the warming one", () =>
    Effect.gen(function* () {
      const out = yield* run("probes.ts")
      assert.match(out, /GET \/healthz: Pass — 3 consecutive passes, 100ms apart/)
      assert.match(out, /GET \/: Fail — GET \/ → 503 in \d+ms; expected 2xx/)
      assert.match(out, /tcp 127\.0\.0\.1:\d+: Pass/)
    }),
  )

  it.live("statistics print the hand-checked values", () =>
    Effect.gen(function* () {
      const out = yield* run("statistics.ts")
      assert.include(out, "p95 = 0.40625 s")
      assert.include(out, "U=0 z=-2.5067 p=0.0122 δ=-1")
    }),
  )
})
