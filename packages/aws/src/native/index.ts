export * from "./compileCodeDeployLambda.ts"
export * from "./compileEcs.ts"
export * from "./compileInstanceRefresh.ts"
export {
  type EcsHookCheck,
  type EcsHookHandlerDeps,
  type EcsHookPolicy,
  type EcsLifecycleHookEvent,
  type EcsLifecycleHookResponse,
  ecsHookEnv,
  makeEcsHookHandler,
} from "./ecsHookHandler.ts"
export * from "./Native.ts"
