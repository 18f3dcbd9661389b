/**
 * @slipway/aws — Pulumi components and AWS runtime layers for Slipway.
 *
 * Components are in-process `pulumi.ComponentResource`s: every child is registered by
 * this program, visible to `pulumi.runtime.setMocks` and to `transforms`.
 */

// ---------------------------------------------------------------- shared helpers
export * from "./component.ts"

// ---------------------------------------------------------------- foundations
export * from "./Domain.ts"
export * from "./Network.ts"
// ---------------------------------------------------------------- strategies on AWS: native compilers, driven runtime layers
export * from "./native/index.ts"
export * from "./Observe.ts"
// ---------------------------------------------------------------- packaging
export * from "./packaging/ContainerImage.ts"
export * from "./packaging/deterministicZip.ts"
export * from "./packaging/LambdaBundle.ts"
export { assetContentType, StaticAssets, type StaticAssetsArgs } from "./packaging/StaticAssets.ts"
export * from "./rollout/index.ts"
export * from "./runtime/index.ts"
export type { ServiceAssets } from "./services/assets.ts"
export type { DrivenServiceRollout } from "./services/driven.ts"
// ---------------------------------------------------------------- services, runtime layers, native compilers
// (FargateService, Ec2Service, LambdaService, src/runtime/**, src/native/**: exports go here)
export * from "./services/Ec2Service.ts"
export * from "./services/FargateService.ts"
export { fargateCpus, fargateMemoryByCpu, fargateSizeProblem } from "./services/fargateSizes.ts"
export * from "./services/LambdaService.ts"
export { LoadBalancer, type LoadBalancerArgs } from "./services/LoadBalancer.ts"
export type { ServiceRoute } from "./services/targets.ts"
export type {
  HttpsArgs,
  ObserveArgs,
  RolloutArgs,
  ServiceDomain,
  ServiceNetwork,
  ServiceRolloutArgs,
} from "./services/types.ts"
