/**
 * mock: how Pulumi mock evaluation scales with the size of a program — 1, 10 and 50
 * `FargateService` components sharing one network, each run under `runPulumiProgram`
 * in a fresh process (bench/fixtures/mock-eval.ts). Reports the evaluation time, the
 * resources registered, the time per service relative to the 1-service case (1.0× is
 * linear scaling), and the process's peak RSS.
 */
import { join } from "node:path"
import type { Benchmark } from "../lib/Benchmark.ts"
import { figure } from "../lib/Figures.ts"

const SIZES = [1, 10, 50] as const

interface MockEval {
  readonly services: number
  readonly importMs: number
  readonly evalMs: number
  readonly resources: number
  readonly components: number
  readonly maxRssMiB: number
  readonly heapUsedMiB: number
}

export const mock: Benchmark = {
  name: "mock",
  title: "Pulumi mock evaluation: 1, 10 and 50 FargateService components",
  timeoutMs: 180_000,
  run: async (ctx) => {
    const results: Array<MockEval> = []
    for (const services of SIZES) {
      ctx.log(`${services} service(s)`)
      const r = await ctx.procs.run(
        ctx.node[0],
        [
          ...ctx.node.slice(1),
          join(ctx.root, "bench", "fixtures", "mock-eval.ts"),
          "--services",
          String(services),
        ],
        { timeoutMs: 150_000 },
      )
      const last = r.stdout.at(-1)?.text
      if (r.code !== 0 || last === undefined) {
        throw new Error(`mock-eval --services ${services} exited ${r.code}: ${r.stderr.slice(-2_000)}`)
      }
      results.push(JSON.parse(last) as MockEval)
    }
    const one = results[0]!
    for (const r of results) {
      const label = `${r.services} service${r.services === 1 ? "" : "s"}`
      ctx.record(figure(`${label}: evaluation time`, r.evalMs, "ms"))
      ctx.record(figure(`${label}: resources registered`, r.resources, ""))
      ctx.record(
        figure(`${label}: time per service`, r.evalMs / r.services, "ms", {
          reference: { label: "1 service", value: one.evalMs },
        }),
      )
      ctx.record(
        figure(`${label}: peak RSS`, r.maxRssMiB, "MiB", {
          reference: { label: "1 service", value: one.maxRssMiB },
        }),
      )
    }
    ctx.record(figure("module import (@slipway/aws + @slipway/testing), 1-service run", one.importMs, "ms"))
    ctx.note(
      "each size runs in a fresh Node process; evaluation time = runPulumiProgram from call to every registration settled (imports excluded, timed separately); peak RSS = the process's maxRSS, imports included",
    )
    ctx.note(
      `network: one plain { vpcId, publicSubnetIds, privateSubnetIds } shared by every service; each service has its own ALB, domain and ${one.resources} resources (${one.components} components)`,
    )
  },
}
