/**
 * Which AWS resource stands for which revision: a target group ARN, an ECS service name,
 * a Lambda version, an Auto Scaling group. Layers look it up both ways: revision → resource
 * to act, resource → revision to read weights back.
 */

/**
 * A fixed table, or a function for resources created as revisions appear. A function can
 * only be read backwards for resources it has already resolved in this process.
 *
 * @example
 * import type { RevisionMap } from "@slipway/aws"
 * const targetGroups: RevisionMap = { "web-3f9c2a7b1d0e": "arn:aws:elasticloadbalancing:…:targetgroup/blue/1" }
 * const byName: RevisionMap = (revision) => `web-${revision.slice(-12)}`
 */
export type RevisionMap = Readonly<Record<string, string>> | ((revision: string) => string | undefined)

export interface RevisionLookup {
  readonly resourceOf: (revision: string) => string | undefined
  readonly revisionOf: (resource: string) => string | undefined
}

/** Internal: a two-way view of a `RevisionMap`. */
export const lookupOf = (map: RevisionMap): RevisionLookup => {
  if (typeof map !== "function") {
    const reverse = new Map(Object.entries(map).map(([revision, resource]) => [resource, revision]))
    return { resourceOf: (revision) => map[revision], revisionOf: (resource) => reverse.get(resource) }
  }
  const seen = new Map<string, string>()
  return {
    resourceOf: (revision) => {
      const resource = map(revision)
      if (resource !== undefined) seen.set(resource, revision)
      return resource
    },
    revisionOf: (resource) => seen.get(resource),
  }
}
