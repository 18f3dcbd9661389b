/**
 * node --conditions=@slipway/source main.ts [memory|local] [--faulty]
 *
 * Runs the hand-made canary in memory and on this machine (both by default). `--faulty`
 * makes the candidate answer 500 to every request, so it is sent back.
 */
import { Effect } from "effect"
import type { CanaryResult } from "./HandMadeCanary.ts"
import { release, runInMemory, runOnThisMachine } from "./run.ts"

const args = process.argv.slice(2)
const where = args.find((a) => !a.startsWith("--")) ?? "both"
const candidate = release("2.0.0", args.includes("--faulty") ? { FAULT_ERROR_RATE: "1" } : {})

const show = (title: string, r: CanaryResult) => {
  console.log(`\n== ${title}`)
  console.log(`address    ${r.url}`)
  console.log(`stable     ${r.stable.id}  candidate ${r.candidate.id}${r.reused ? " (package reused)" : ""}`)
  console.log(`traffic    ${JSON.stringify(r.traffic.byRevision)}  ${JSON.stringify(r.traffic.byStatus)}`)
  for (const q of r.queries) console.log(`query      ${q}`)
  console.log(`observed   requests=${r.observed.requests} error_rate=${r.observed.errorRate}`)
  console.log(`outcome    ${r.outcome}`)
}

const program = Effect.gen(function* () {
  if (where === "memory" || where === "both") {
    const { result, calls } = yield* runInMemory(candidate)
    show("memory", result)
    console.log("calls")
    for (const call of calls) console.log(`  ${call}`)
  }
  if (where === "local" || where === "both") show("this machine", yield* runOnThisMachine(candidate))
})

await Effect.runPromise(program)
