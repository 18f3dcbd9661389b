/**
 * What the agent has been asked to run and route, saved after every change, so that an
 * agent restarted (after a reboot, a crash, `agent stop`) comes back serving exactly what
 * it served: the same revisions at the same replica counts, the same weights.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import type { Revision, Weights } from "@slipway/core"

export interface DesiredState {
  readonly revisions: Readonly<Record<string, { readonly revision: Revision; readonly replicas: number }>>
  readonly weights: Readonly<Record<string, Weights>>
}

export const empty: DesiredState = { revisions: {}, weights: {} }

export const desiredStatePath = (stateDir: string): string => join(stateDir, "agent", "desired.json")

/** Reads the saved state; a missing or unreadable file means nothing to restore. */
export const readDesired = (stateDir: string): DesiredState => {
  try {
    const parsed = JSON.parse(readFileSync(desiredStatePath(stateDir), "utf8")) as DesiredState
    return { revisions: parsed.revisions ?? {}, weights: parsed.weights ?? {} }
  } catch {
    return empty
  }
}

/** Writes atomically (temp file + rename), so a crash mid-write leaves the previous state. */
export const writeDesired = (stateDir: string, state: DesiredState): void => {
  const path = desiredStatePath(stateDir)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 })
  renameSync(tmp, path)
}

export const withRevision = (s: DesiredState, revision: Revision, replicas: number): DesiredState => ({
  ...s,
  revisions: { ...s.revisions, [revision.id]: { revision, replicas } },
})

export const withReplicas = (s: DesiredState, revision: string, replicas: number): DesiredState => {
  const known = s.revisions[revision]
  if (!known) return s
  if (replicas === 0) {
    // A revision scaled to zero with no weight anywhere is gone for good; forget it.
    const routed = Object.values(s.weights).some((w) => (w[revision] ?? 0) > 0)
    if (!routed) {
      const { [revision]: _, ...rest } = s.revisions
      return { ...s, revisions: rest }
    }
  }
  return { ...s, revisions: { ...s.revisions, [revision]: { ...known, replicas } } }
}

export const withWeights = (s: DesiredState, app: string, weights: Weights): DesiredState => ({
  ...s,
  weights: { ...s.weights, [app]: { ...weights } },
})
