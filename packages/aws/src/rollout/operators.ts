/**
 * `@slipway/aws/operators`: what an operator's tool needs to watch and steer AWS rollouts
 * from outside `pulumi up` — the S3 journal (`status`, `history`, `report`), operator
 * requests to the `pulumi up` driving a rollout (`promote`, `pause`, `resume`, `abort`) and
 * rolling back from the CLI. Nothing here loads Pulumi, so `slipway status --target aws`
 * starts in the time the AWS SDK takes, not the time `@pulumi/aws` takes.
 *
 * @example
 * import { awsJournalLayer, requestControl } from "@slipway/aws/operators"
 * import { Effect } from "effect"
 * await Effect.runPromise(requestControl({ bucket: "web-prod-journal", app: "web-prod", command: "promote" }))
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
  type ControlRequest,
  ControlRequestFailed,
  NoRolloutRunning,
  type RequestControlOptions,
  requestControl,
} from "./ControlChannel.ts"
export { PLACEMENT_KEY, Placement, placementOf } from "./DrivenRolloutSpec.ts"
export { type AwsClients, awsClients } from "./DrivenRuntime.ts"
export { S3Journal, type S3JournalConfig, type S3JournalShape } from "./S3Journal.ts"
