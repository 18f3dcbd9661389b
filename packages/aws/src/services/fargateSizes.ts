/**
 * The task sizes Fargate accepts: each CPU value (in CPU units, 1024 = 1 vCPU) allows a
 * fixed set of memory values (MiB). Anything else is refused by ECS at deploy time.
 */

const range = (from: number, to: number, step: number): Array<number> => {
  const out: Array<number> = []
  for (let v = from; v <= to; v += step) out.push(v)
  return out
}

/**
 * Memory values (MiB) Fargate accepts for each CPU value.
 *
 * @example
 * fargateMemoryByCpu[256] // [512, 1024, 2048]
 */
export const fargateMemoryByCpu: Readonly<Record<number, ReadonlyArray<number>>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
}

/**
 * CPU values (units, 1024 = 1 vCPU) Fargate accepts.
 *
 * @example
 * fargateCpus // [256, 512, 1024, 2048, 4096, 8192, 16384]
 */
export const fargateCpus: ReadonlyArray<number> = Object.keys(fargateMemoryByCpu).map(Number)

/**
 * Why a cpu/memory pair is refused, or `undefined` when Fargate accepts it.
 *
 * @example
 * fargateSizeProblem(256, 4096)
 * // { arg: "memory", problem: "4096 MiB is not available with cpu 256", fix: "use one of 512, 1024, 2048" }
 */
export const fargateSizeProblem = (
  cpu: number,
  memory: number,
): { readonly arg: "cpu" | "memory"; readonly problem: string; readonly fix: string } | undefined => {
  const memories = fargateMemoryByCpu[cpu]
  if (memories === undefined) {
    return {
      arg: "cpu",
      problem: `${cpu} is not a Fargate CPU value`,
      fix: `use one of ${fargateCpus.join(", ")} (1024 = 1 vCPU)`,
    }
  }
  if (!memories.includes(memory)) {
    return {
      arg: "memory",
      problem: `${memory} MiB is not available with cpu ${cpu}`,
      fix: `use one of ${memories.join(", ")} (MiB)`,
    }
  }
  return undefined
}
