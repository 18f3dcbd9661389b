/**
 * @slipway/testing — the test kit: run Pulumi programs under mocks and assert on the
 * resource graph, check a stack against the security policy list, and drive rollouts
 * against in-memory capability layers.
 */

/**
 * In-memory capability layers (Packager, ArtifactStore, Compute, TrafficRouter, Dns,
 * MetricSource) over one inspectable world, re-exported from `@slipway/core`.
 *
 * @example
 * import { Memory, MemoryWorld } from "@slipway/testing"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const world = yield* MemoryWorld
 *   // … run a rollout, then inspect world
 * }).pipe(Effect.provide(Memory.layer))
 */
export { type Fault, Memory, type MemoryOperation, MemoryWorld, type MetricValue } from "@slipway/core"
export * from "./MockCloud.ts"
export * from "./Policy.ts"
export * from "./PulumiHarness.ts"
