/**
 * Internal: where an app's rollout journal lives in S3.
 *
 *   <prefix><app>/current.json                  the current (or last) rollout
 *   <prefix><app>/history/<inverted>-<id>.json  finished rollouts, newest first
 *   <prefix><app>/lock.json                     the lease held while a rollout runs
 *   <prefix><app>/control.json                  operator requests for the running rollout
 *   <prefix><app>/target.json                   where the app runs (backend, region), for the CLI
 *
 * History keys start with `9999999999999 - startedAt` (13 digits): S3 lists keys in
 * lexicographic order, so the newest rollouts come first and one ListObjectsV2 call with
 * `MaxKeys: 50` returns exactly the newest 50.
 */

// App names become key segments: refuse anything that could reach outside the app's folder.
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

const LATEST = 9_999_999_999_999

/** Whether an app name can name a journal folder; `undefined` when it can, else why not. */
export const appNameProblem = (app: string): string | undefined =>
  SAFE_SEGMENT.test(app)
    ? undefined
    : `app name ${JSON.stringify(app)} cannot name a journal folder; use letters, digits, '.', '_' and '-' (at most 128)`

/** A prefix as keys use it: empty, or ending in exactly one `/`. */
export const normalizePrefix = (prefix: string | undefined): string => {
  const trimmed = (prefix ?? "").replace(/^\/+/, "").replace(/\/+$/, "")
  return trimmed === "" ? "" : `${trimmed}/`
}

/** The keys of one app's journal. */
export const journalKeys = (prefix: string | undefined, app: string) => {
  const folder = `${normalizePrefix(prefix)}${app}/`
  return {
    folder,
    current: `${folder}current.json`,
    lock: `${folder}lock.json`,
    control: `${folder}control.json`,
    target: `${folder}target.json`,
    historyPrefix: `${folder}history/`,
    history: (startedAt: number, rolloutId: string) =>
      `${folder}history/${String(Math.max(0, LATEST - startedAt)).padStart(13, "0")}-${rolloutId.replace(/[^A-Za-z0-9._-]/g, "_")}.json`,
  } as const
}
