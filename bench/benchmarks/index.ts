/**
 * Every benchmark, in the order `pnpm bench` runs them and `latest.md` lists them.
 */
import type { Benchmark } from "../lib/Benchmark.ts"
import { detection } from "./detection.ts"
import { mock } from "./mock.ts"
import { proxy } from "./proxy.ts"
import { rollout } from "./rollout.ts"
import { zip } from "./zip.ts"

export const benchmarks: ReadonlyArray<Benchmark> = [proxy, detection, rollout, zip, mock]
