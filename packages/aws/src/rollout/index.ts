/**
 * `pulumi up` integration for driven rollouts: the `DrivenRollout` resource and the logic
 * behind it, the S3 journal (shared with the CLI), operator requests through S3, and the
 * AWS capability layers a driven rollout runs against.
 */
export { type AwsJournalOptions, awsJournalLayer } from "./AwsJournal.ts"
export {
  type AwsRollbackOptions,
  type AwsRollbackResult,
  awsRollback,
  RollbackUnavailable,
  RolloutTarget,
} from "./AwsRollback.ts"
export {
  type ControlCommandName,
  type ControlFollowOptions,
  type ControlRequest,
  ControlRequestFailed,
  followControlRequests,
  NoRolloutRunning,
  type RequestControlOptions,
  requestControl,
} from "./ControlChannel.ts"
export { type DeepInput, DrivenRollout, type DrivenRolloutArgs } from "./DrivenRollout.ts"
export {
  type DrivenAlbBackend,
  DrivenBackend,
  DrivenRelease,
  DrivenRolloutInputs,
  type DrivenRolloutState,
  decodeRolloutInputs,
  LastRollout,
  PLACEMENT_KEY,
  Placement,
  placementOf,
} from "./DrivenRolloutSpec.ts"
export {
  type AwsClients,
  awsClients,
  type DrivenCapabilities,
  type DrivenRuntimeTiming,
  drivenRuntimeLayer,
} from "./DrivenRuntime.ts"
export {
  AlarmGateSpec,
  type DrivenGateServices,
  DrivenGates,
  ErrorRateGateSpec,
  gatesFromSpec,
  HttpGateSpec,
  type InputIssue,
  LatencyGateSpec,
} from "./GatesSpec.ts"
export { RolloutJournalBucket, type RolloutJournalBucketArgs } from "./RolloutJournalBucket.ts"
export {
  checkRollout,
  createRollout,
  type DrivenRolloutError,
  DrivenRolloutInvalid,
  deleteRollout,
  diffRollout,
  type RolloutDeps,
  type RolloutDiff,
  RolloutRolledBack,
  updateRollout,
} from "./RolloutOperations.ts"
export { S3Journal, type S3JournalConfig, type S3JournalShape } from "./S3Journal.ts"
