/** Installing the generated project's dependencies, and the commands a user runs next. */
import { spawnSync } from "node:child_process"
import type { PackageManager } from "./Options.ts"

/**
 * Runs `<pm> install` in `dir` with the output on this terminal; returns the exit code
 * (1 when the package manager could not be started).
 *
 * @example
 * import { install } from "create-slipway"
 * if (install("pnpm", "my-api") !== 0) console.error("install failed; run it yourself")
 */
export const install = (pm: PackageManager, dir: string): number => {
  const result = spawnSync(pm, ["install"], {
    cwd: dir,
    stdio: "inherit",
    shell: process.platform === "win32",
  })
  return result.status ?? 1
}

const shellQuote = (s: string): string => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`)

/**
 * The commands a user runs next, for the closing message.
 *
 * @example
 * import { nextSteps } from "create-slipway"
 * nextSteps("pnpm", "my-api", false)
 * // ["cd my-api", "pnpm install", "pnpm test  # …", "pulumi stack init dev  # …", "pulumi up  # …"]
 */
export const nextSteps = (pm: PackageManager, dir: string, installed: boolean): ReadonlyArray<string> => [
  ...(dir === "." ? [] : [`cd ${shellQuote(dir)}`]),
  ...(installed ? [] : [`${pm} install`]),
  `${`${pm} test`.padEnd(22)}  # mock-based tests and stack policy checks; no AWS account needed`,
  `${"pulumi stack init dev".padEnd(22)}  # takes region and strategy from Pulumi.dev.yaml`,
  `${"pulumi up".padEnd(22)}  # builds, provisions and rolls out with the strategy`,
]
