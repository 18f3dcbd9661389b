/**
 * create-slipway — `npm create slipway@latest` scaffolds a Pulumi project (Fargate, EC2 or
 * Lambda) that deploys with progressive delivery. The CLI is `bin.ts`; these exports let
 * other tools scaffold the same way.
 *
 * @example
 * import { main } from "create-slipway"
 * process.exitCode = await main(["my-api", "--template", "lambda", "--strategy", "linear", "--no-install"])
 */
export { install, nextSteps } from "./Install.ts"
export { main } from "./Main.ts"
export {
  type Answers,
  detectPackageManager,
  domainProblem,
  InvalidOption,
  nameFromFolder,
  nameProblem,
  type PackageManager,
  packageManagers,
  parseOptions,
  regionProblem,
  type StrategyName,
  strategies,
  type Template,
  templates,
} from "./Options.ts"
export { checkTarget, type ScaffoldPlan, scaffold, TargetNotEmpty, templatesDir } from "./Scaffold.ts"
