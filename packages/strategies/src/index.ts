/**
 * @slipway/strategies — build rollout strategies (canary, linear, blue-green, rolling,
 * all-at-once, custom), use CodeDeploy's presets by name, and `explain` any strategy on a
 * clock against its gates and backend.
 *
 * Constructors are synchronous and throw `StrategyInvalid` (re-exported here from
 * `@slipway/core`) naming each bad field; `Strategies.validate` is the `Effect` form.
 */
export { type Step, type Strategy, StrategyInvalid, type StrategyIssue } from "@slipway/core"
export { type AllAtOnceOptions, allAtOnce } from "./AllAtOnce.ts"
export { type BackendIssue, backendIssues, ecsDeploymentStrategy } from "./BackendChecks.ts"
export {
  type Backend,
  type BackendLimits,
  type BackendScaling,
  type BackendStage,
  backendLimits,
} from "./Backends.ts"
export { type BlueGreenOptions, blueGreen } from "./BlueGreen.ts"
export { type CanaryOptions, type CanaryStep, canary } from "./Canary.ts"
export { type CustomStep, custom } from "./Custom.ts"
export {
  type ExplainFinding,
  type ExplainGate,
  type ExplainOptions,
  type Explanation,
  explain,
  type GateDetection,
  type PlannedStep,
  type Reach,
} from "./Explain.ts"
export { type LinearOptions, linear } from "./Linear.ts"
export { fromName, strategyKinds, strategyNames } from "./Names.ts"
export type { AnalysisOptions, CommonOptions } from "./Options.ts"
export {
  type CodeDeployTrafficRouting,
  canary10Percent5Minutes,
  canary10Percent10Minutes,
  canary10Percent15Minutes,
  canary10Percent30Minutes,
  linear10PercentEvery1Minute,
  linear10PercentEvery2Minutes,
  linear10PercentEvery3Minutes,
  linear10PercentEvery10Minutes,
  type Preset,
  presetCatalog,
  presets,
} from "./Presets.ts"
export { type ReplicasOrPercent, type RollingOptions, rolling } from "./Rolling.ts"
export * as Segments from "./Segments.ts"
export { type TrafficShape, trafficShape } from "./Shape.ts"
export type { StrategySpec } from "./Strategies.ts"
export * as Strategies from "./Strategies.ts"
