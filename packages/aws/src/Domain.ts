/**
 * A name users reach a service on: an ACM certificate for it, validated through DNS
 * records in its Route 53 hosted zone, and alias records pointing the name at a load
 * balancer or API Gateway domain.
 *
 * The name is a plain string (the services need it to build listener rules and
 * URLs), so it is checked at construction: a malformed name, or one outside its zone,
 * is refused before anything is registered. When only a zone id is given, the zone's
 * name is looked up, and the certificate's inputs wait on the check — so an
 * out-of-zone name fails the deployment without creating the certificate.
 */
import * as aws from "@pulumi/aws"
import * as pulumi from "@pulumi/pulumi"
import {
  ArgProblems,
  ComponentArgsInvalid,
  componentTags,
  createChild,
  inApply,
  type Tags,
  type Transform,
} from "./component.ts"

const TYPE = "slipway:aws:Domain"

const normalize = (name: string): string => name.trim().toLowerCase().replace(/\.$/, "")

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/** Why a DNS name is malformed, or `undefined` when it is fine. `*.` is allowed as the first label. */
const nameProblem = (name: string): string | undefined => {
  if (name.length === 0) return "is empty"
  if (name.length > 253) return `is ${name.length} characters long; DNS names stop at 253`
  const labels = name.split(".")
  if (labels.length < 2) return "has a single label; give a fully qualified name such as app.example.com"
  for (const [i, label] of labels.entries()) {
    if (i === 0 && label === "*") continue
    if (!LABEL.test(label))
      return `has an invalid label "${label}" (letters, digits and inner hyphens, 1–63 characters)`
  }
  return undefined
}

const inZone = (name: string, zone: string): boolean => name === zone || name.endsWith(`.${zone}`)

const outOfZone = (name: string, zone: string) => ({
  problem: `${name} is not inside ${zone}`,
  fix: `use a name ending in .${zone}, or the hosted zone that holds ${name}`,
})

/**
 * Per-child transforms of a `Domain`.
 *
 * @example
 * const transform: DomainTransforms = { validationRecord: { ttl: 300 } }
 */
export interface DomainTransforms {
  /** @example { certificate: { keyAlgorithm: "EC_prime256v1" } } */
  readonly certificate?: Transform<aws.acm.CertificateArgs>
  /** Applies to each DNS validation record. @example { validationRecord: { ttl: 300 } } */
  readonly validationRecord?: Transform<aws.route53.RecordArgs>
  /** @example { validation: (args, opts) => { opts.customTimeouts = { create: "10m" } } } */
  readonly validation?: Transform<aws.acm.CertificateValidationArgs>
  /** Applies to each alias record `aliasTo` creates. @example { aliasRecord: { allowOverwrite: true } } */
  readonly aliasRecord?: Transform<aws.route53.RecordArgs>
}

/**
 * Arguments of a `Domain`: the name, and its hosted zone by name or id.
 *
 * @example
 * const args: DomainArgs = { name: "app.example.com", zoneName: "example.com" }
 */
export interface DomainArgs {
  /**
   * The fully qualified name to serve on, inside the zone.
   *
   * @example
   * { name: "app.example.com" }
   */
  readonly name: string
  /**
   * The public hosted zone's name; it is looked up (an invoke, nothing is created).
   *
   * @example
   * { zoneName: "example.com" }
   */
  readonly zoneName?: string
  /**
   * The hosted zone's id, when known (skips the lookup by name).
   *
   * @example
   * { zoneId: "Z0123456789ABCDEFGHIJ" }
   */
  readonly zoneId?: pulumi.Input<string>
  /**
   * More names the certificate covers (each inside the zone), e.g. `www.` or a wildcard.
   *
   * @example
   * { aliases: ["www.app.example.com", "*.app.example.com"] }
   */
  readonly aliases?: ReadonlyArray<string>
  /**
   * The certificate's key (default `"RSA_2048"`, which every client accepts; ECDSA
   * keys are smaller and faster to handshake).
   *
   * @example
   * { keyAlgorithm: "EC_prime256v1" }
   */
  readonly keyAlgorithm?: "RSA_2048" | "EC_prime256v1" | "EC_secp384r1"
  /**
   * Tags for the certificate.
   *
   * @example
   * { tags: { team: "payments" } }
   */
  readonly tags?: Tags
  /**
   * Adjust any child before it is created.
   *
   * @example
   * { transform: { validationRecord: { ttl: 300 } } }
   */
  readonly transform?: DomainTransforms
}

/**
 * Where an alias record points: a load balancer, an API Gateway custom domain, a
 * CloudFront distribution — anything with a DNS name and a canonical hosted zone id.
 *
 * Lambda function URLs cannot carry a custom domain (their TLS certificate only covers
 * `*.lambda-url.<region>.on.aws`): put an API Gateway HTTP API or CloudFront in front
 * and alias to that.
 *
 * @example
 * const alb: AliasTarget = { dnsName: loadBalancer.dnsName, zoneId: loadBalancer.zoneId }
 * const api: AliasTarget = {
 *   dnsName: apiDomain.domainNameConfiguration.targetDomainName,
 *   zoneId: apiDomain.domainNameConfiguration.hostedZoneId,
 * }
 */
export interface AliasTarget {
  readonly dnsName: pulumi.Input<string>
  readonly zoneId: pulumi.Input<string>
}

/**
 * Options of `Domain.aliasTo`.
 *
 * @example
 * domain.aliasTo(target, { name: "www.example.com", ipv6: true } satisfies AliasOptions)
 */
export interface AliasOptions {
  /**
   * The record's name (default: the domain's name); must be inside the zone.
   *
   * @example
   * { name: "www.app.example.com" }
   */
  readonly name?: string
  /**
   * Also create an AAAA record (only when the target serves IPv6, e.g. a dualstack ALB).
   *
   * @example
   * { ipv6: true }
   */
  readonly ipv6?: boolean
  /**
   * Let Route 53 answer only while the target is healthy (default true).
   *
   * @example
   * { evaluateTargetHealth: false }
   */
  readonly evaluateTargetHealth?: boolean
}

/**
 * A DNS name with a DNS-validated ACM certificate, in a Route 53 hosted zone.
 *
 * Children: an `aws:acm/certificate:Certificate` (`validationMethod: "DNS"`), one
 * `aws:route53/record:Record` CNAME per distinct name to validate (a wildcard shares
 * its apex's record), and an `aws:acm/certificateValidation:CertificateValidation` that
 * waits for issuance; `aliasTo` adds alias records.
 *
 * `certificateArn` comes from the validation, so a listener using it waits until the
 * certificate is issued.
 *
 * @example
 * import { Domain, FargateService, Network } from "@slipway/aws"
 *
 * const domain = new Domain("app", { name: "app.example.com", zoneName: "example.com" })
 * const service = new FargateService("web", { network: new Network("net"), image, domain })
 * // or point the name yourself:
 * domain.aliasTo({ dnsName: alb.dnsName, zoneId: alb.zoneId })
 * export const url = domain.url // "https://app.example.com"
 */
export class Domain extends pulumi.ComponentResource {
  /** The name served on, normalised (lower case, no trailing dot). */
  readonly name: string
  /** `https://<name>`. */
  readonly url: string
  readonly zoneId: pulumi.Output<string>
  readonly zoneName: pulumi.Output<string>
  readonly certificate: aws.acm.Certificate
  /** The certificate's ARN, resolved once the certificate is issued. */
  readonly certificateArn: pulumi.Output<string>
  readonly validationRecords: ReadonlyArray<aws.route53.Record>
  private readonly resourceName: string
  private readonly aliasTransform: Transform<aws.route53.RecordArgs> | undefined
  private readonly checkedZoneName: pulumi.Output<string>

  constructor(name: string, args: DomainArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new ArgProblems(TYPE, name)
    const domain = normalize(args.name ?? "")
    const aliases = (args.aliases ?? []).map(normalize)
    const zoneName = args.zoneName === undefined ? undefined : normalize(args.zoneName)
    const bad = nameProblem(domain)
    if (bad !== undefined)
      problems.add("name", `"${args.name}" ${bad}`, 'give a DNS name such as "app.example.com"')
    if (domain.startsWith("*.")) {
      problems.add(
        "name",
        "is a wildcard",
        'serve a concrete name and put the wildcard in `aliases: ["*.example.com"]`',
      )
    }
    aliases.forEach((alias, i) => {
      const why = nameProblem(alias)
      if (why !== undefined)
        problems.add(`aliases[${i}]`, `"${alias}" ${why}`, "give a DNS name inside the zone")
    })
    if (zoneName === undefined && args.zoneId === undefined) {
      problems.add(
        "zoneName",
        "neither zoneName nor zoneId is given",
        'pass the hosted zone, e.g. zoneName: "example.com"',
      )
    }
    if (zoneName !== undefined) {
      const zoneBad = nameProblem(zoneName)
      if (zoneBad !== undefined)
        problems.add("zoneName", `"${args.zoneName}" ${zoneBad}`, 'give the zone, e.g. "example.com"')
      else {
        if (bad === undefined && !inZone(domain, zoneName)) {
          const { problem, fix } = outOfZone(domain, zoneName)
          problems.add("name", problem, fix)
        }
        aliases.forEach((alias, i) => {
          if (nameProblem(alias) === undefined && !inZone(alias.replace(/^\*\./, ""), zoneName)) {
            const { problem, fix } = outOfZone(alias, zoneName)
            problems.add(`aliases[${i}]`, problem, fix)
          }
        })
      }
    }
    problems.throwIfAny()

    super(TYPE, name, {}, opts)
    const parent = { parent: this }
    const t = args.transform ?? {}
    this.resourceName = name
    this.aliasTransform = t.aliasRecord
    this.name = domain
    this.url = `https://${domain}`

    const zone =
      args.zoneId !== undefined
        ? {
            id: pulumi.output(args.zoneId),
            name: zoneName === undefined ? undefined : pulumi.output(zoneName),
          }
        : undefined
    const lookup =
      zone?.name === undefined
        ? aws.route53.getZoneOutput(
            args.zoneId !== undefined ? { zoneId: args.zoneId } : { name: zoneName!, privateZone: false },
            parent,
          )
        : undefined
    this.zoneId = zone?.id ?? lookup!.zoneId
    this.zoneName = zone?.name ?? lookup!.name.apply(normalize)
    // The names, checked against the zone once its name is known (immediately when it was given).
    this.checkedZoneName = this.zoneName.apply((z) => {
      const problems = [domain, ...aliases]
        .filter((n) => !inZone(n.replace(/^\*\./, ""), z))
        .map((n) => ({ arg: n === domain ? "name" : "aliases", ...outOfZone(n, z) }))
      if (problems.length > 0) throw inApply(new ComponentArgsInvalid({ component: TYPE, name, problems }))
      return z
    })

    const names = [domain, ...aliases].filter((n, i, all) => all.indexOf(n) === i)
    this.certificate = createChild(
      aws.acm.Certificate,
      `${name}-certificate`,
      {
        domainName: this.checkedZoneName.apply(() => domain),
        subjectAlternativeNames: names.slice(1),
        validationMethod: "DNS",
        keyAlgorithm: args.keyAlgorithm ?? "RSA_2048",
        tags: componentTags(TYPE, name, { Name: domain, ...args.tags }),
      },
      parent,
      t.certificate,
    )

    // ACM asks for one CNAME per distinct name; *.x and x share one.
    const toValidate = [...new Set(names.map((n) => n.replace(/^\*\./, "")))]
    this.validationRecords = toValidate.map((base) => {
      const option = this.certificate.domainValidationOptions.apply((options) => {
        const found = options.find((o) => (o.domainName ?? "").replace(/^\*\./, "") === base)
        if (found === undefined)
          throw new Error(`${TYPE} "${name}": ACM returned no validation record for ${base}`)
        return found
      })
      return createChild(
        aws.route53.Record,
        `${name}-validation-${base}`,
        {
          zoneId: this.zoneId,
          name: option.apply((o) => o.resourceRecordName!),
          type: option.apply((o) => o.resourceRecordType!),
          records: [option.apply((o) => o.resourceRecordValue!)],
          ttl: 60,
          // Another stack (or a previous certificate) may already hold the same record.
          allowOverwrite: true,
        },
        parent,
        t.validationRecord,
      )
    })

    const validation = createChild(
      aws.acm.CertificateValidation,
      `${name}-validation`,
      {
        certificateArn: this.certificate.arn,
        validationRecordFqdns: this.validationRecords.map((r) => r.fqdn),
      },
      parent,
      t.validation,
    )
    this.certificateArn = validation.certificateArn

    this.registerOutputs({
      name: this.name,
      url: this.url,
      zoneId: this.zoneId,
      certificateArn: this.certificateArn,
    })
  }

  /**
   * Points the domain's name (or another name in its zone) at a target with Route 53
   * alias records: A, plus AAAA with `ipv6: true`. Returns the records.
   *
   * @example
   * const alb = new aws.lb.LoadBalancer("web", { ... })
   * domain.aliasTo({ dnsName: alb.dnsName, zoneId: alb.zoneId })
   * domain.aliasTo({ dnsName: alb.dnsName, zoneId: alb.zoneId }, { name: "www.app.example.com", ipv6: true })
   */
  aliasTo(target: AliasTarget, options: AliasOptions = {}): ReadonlyArray<aws.route53.Record> {
    const recordName = normalize(options.name ?? this.name)
    const bad = nameProblem(recordName)
    if (bad !== undefined) {
      throw new ComponentArgsInvalid({
        component: TYPE,
        name: this.resourceName,
        problems: [
          {
            arg: "aliasTo.name",
            problem: `"${options.name}" ${bad}`,
            fix: "give a DNS name inside the zone",
          },
        ],
      })
    }
    const suffix = recordName === this.name ? "" : `-${recordName}`
    const alias = {
      name: target.dnsName,
      zoneId: target.zoneId,
      evaluateTargetHealth: options.evaluateTargetHealth ?? true,
    }
    // The record name is checked against the zone (known later when given by id) before use.
    const checkedName = this.checkedZoneName.apply((zone) => {
      if (!inZone(recordName, zone)) {
        throw inApply(
          new ComponentArgsInvalid({
            component: TYPE,
            name: this.resourceName,
            problems: [{ arg: "aliasTo.name", ...outOfZone(recordName, zone) }],
          }),
        )
      }
      return recordName
    })
    const types: ReadonlyArray<"A" | "AAAA"> = options.ipv6 === true ? ["A", "AAAA"] : ["A"]
    return types.map((type) =>
      createChild(
        aws.route53.Record,
        `${this.resourceName}-alias${suffix}${type === "AAAA" ? "-aaaa" : ""}`,
        { zoneId: this.zoneId, name: checkedName, type, aliases: [alias] },
        { parent: this },
        this.aliasTransform,
      ),
    )
  }
}
