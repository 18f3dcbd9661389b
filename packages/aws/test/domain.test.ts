import { assert, describe, it } from "@effect/vitest"
import * as aws from "@pulumi/aws"
import { PulumiProgramError, runPulumiProgram } from "@slipway/testing"
import { ComponentArgsInvalid, Domain, type DomainArgs } from "../src/index.ts"

const CERT = "aws:acm/certificate:Certificate"
const VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
const RECORD = "aws:route53/record:Record"
const GET_ZONE = "aws:route53/getZone:getZone"

const build = (args: DomainArgs) =>
  runPulumiProgram(
    () => {
      const domain = new Domain("app", args)
      return { arn: domain.certificateArn, zoneId: domain.zoneId, name: domain.name, url: domain.url }
    },
    { zones: { "example.com": "Z0EXAMPLE" } },
  )

const failure = async (args: DomainArgs): Promise<PulumiProgramError> => {
  const error = await build(args).then(
    () => assert.fail("expected the domain to be refused"),
    (e: unknown) => e,
  )
  assert.instanceOf(error, PulumiProgramError)
  return error
}

describe("Domain", () => {
  it("requests a DNS-validated certificate and writes its validation records in the zone", async () => {
    const run = await build({ name: "App.Example.com.", zoneName: "example.com" })
    const cert = run.get(CERT)
    assert.deepInclude(cert.inputs, {
      domainName: "app.example.com",
      validationMethod: "DNS",
      keyAlgorithm: "RSA_2048",
    })
    assert.deepStrictEqual(cert.inputs.subjectAlternativeNames, [])
    assert.strictEqual(run.calls.find((c) => c.token === GET_ZONE)?.inputs.name, "example.com")

    const [record, ...others] = run.byType(RECORD)
    assert.lengthOf(others, 0)
    const [dvo] = cert.outputs.domainValidationOptions
    assert.deepInclude(record!.inputs, {
      zoneId: "Z0EXAMPLE",
      name: dvo.resourceRecordName,
      type: "CNAME",
      records: [dvo.resourceRecordValue],
      allowOverwrite: true,
    })

    const validation = run.get(VALIDATION)
    assert.strictEqual(validation.inputs.certificateArn, cert.id)
    assert.deepStrictEqual(validation.inputs.validationRecordFqdns, [record!.outputs.fqdn])
    assert.deepStrictEqual(run.outputs, {
      arn: cert.id,
      zoneId: "Z0EXAMPLE",
      name: "app.example.com",
      url: "https://app.example.com",
    })
    const component = run.get("slipway:aws:Domain", "app")
    assert.isTrue(run.resources.filter((r) => r !== component).every((r) => r.parent === component.urn))
  })

  it("validates each distinct name once: a wildcard shares its apex's record", async () => {
    const run = await build({
      name: "app.example.com",
      zoneName: "example.com",
      aliases: ["*.app.example.com", "www.example.com"],
    })
    assert.deepStrictEqual(run.get(CERT).inputs.subjectAlternativeNames, [
      "*.app.example.com",
      "www.example.com",
    ])
    assert.deepStrictEqual(
      run
        .byType(RECORD)
        .map((r) => r.name)
        .sort(),
      ["app-validation-app.example.com", "app-validation-www.example.com"],
    )
    assert.lengthOf(run.get(VALIDATION).inputs.validationRecordFqdns, 2)
  })

  it("looks the zone's name up when only its id is given", async () => {
    const run = await build({ name: "api.example.com", zoneId: "Z0EXAMPLE" })
    assert.strictEqual(run.calls.find((c) => c.token === GET_ZONE)?.inputs.zoneId, "Z0EXAMPLE")
    assert.strictEqual(run.get(CERT).inputs.domainName, "api.example.com")
    assert.strictEqual(run.outputs.zoneId, "Z0EXAMPLE")
  })

  it("looks nothing up when both the zone's name and id are given", async () => {
    const run = await build({ name: "api.example.com", zoneName: "example.com", zoneId: "Z0EXAMPLE" })
    assert.isFalse(run.calls.some((c) => c.token === GET_ZONE))
    assert.strictEqual(run.get(RECORD).inputs.zoneId, "Z0EXAMPLE")
  })

  describe("refuses names it cannot serve", () => {
    it("refuses a name outside its zone before registering anything", async () => {
      const error = await failure({ name: "app.other.com", zoneName: "example.com" })
      assert.deepStrictEqual(error.resources, [])
      assert.instanceOf(error.cause, ComponentArgsInvalid)
      assert.include(error.message, "app.other.com is not inside example.com")
      assert.include(error.message, "use a name ending in .example.com")
    })

    it("does not count a suffix that is not a label boundary as inside the zone", async () => {
      const error = await failure({ name: "app.notexample.com", zoneName: "example.com" })
      assert.include(error.message, "app.notexample.com is not inside example.com")
    })

    it("refuses an out-of-zone name found through a zone id without creating the certificate", async () => {
      const error = await failure({ name: "app.other.com", zoneId: "Z0EXAMPLE" })
      assert.include(error.message, "app.other.com is not inside example.com")
      assert.isFalse(error.resources.some((r) => r.type === CERT))
    })

    it("refuses an alias outside the zone", async () => {
      const error = await failure({
        name: "app.example.com",
        zoneName: "example.com",
        aliases: ["app.example.org"],
      })
      assert.instanceOf(error.cause, ComponentArgsInvalid)
      assert.strictEqual(error.cause.problems[0]?.arg, "aliases[0]")
    })

    const malformed: ReadonlyArray<[string, DomainArgs, string]> = [
      ["a single label", { name: "localhost", zoneName: "example.com" }, "single label"],
      ["an invalid label", { name: "my_app.example.com", zoneName: "example.com" }, 'invalid label "my_app"'],
      ["a wildcard as the name", { name: "*.example.com", zoneName: "example.com" }, "is a wildcard"],
      ["no zone at all", { name: "app.example.com" }, "neither zoneName nor zoneId"],
    ]
    for (const [what, args, text] of malformed) {
      it(`refuses ${what}`, async () => {
        const error = await failure(args)
        assert.deepStrictEqual(error.resources, [])
        assert.include(error.message, text)
      })
    }
  })

  describe("aliasTo", () => {
    it("points the name at a load balancer with an A alias record", async () => {
      const run = await runPulumiProgram(() => {
        const domain = new Domain("app", { name: "app.example.com", zoneName: "example.com" })
        const alb = new aws.lb.LoadBalancer("web", {
          loadBalancerType: "application",
          subnets: ["subnet-1", "subnet-2"],
        })
        domain.aliasTo({ dnsName: alb.dnsName, zoneId: alb.zoneId })
        domain.aliasTo({ dnsName: alb.dnsName, zoneId: alb.zoneId }, { name: "www.example.com", ipv6: true })
      })
      const alb = run.get("aws:lb/loadBalancer:LoadBalancer")
      const a = run.get(RECORD, "app-alias")
      assert.deepInclude(a.inputs, {
        name: "app.example.com",
        type: "A",
        zoneId: run.get(RECORD, "app-alias").inputs.zoneId,
      })
      assert.deepStrictEqual(a.inputs.aliases, [
        { name: alb.outputs.dnsName, zoneId: "Z35SXDOTRQ7X7K", evaluateTargetHealth: true },
      ])
      assert.strictEqual(run.get(RECORD, "app-alias-www.example.com").inputs.type, "A")
      assert.strictEqual(run.get(RECORD, "app-alias-www.example.com-aaaa").inputs.type, "AAAA")
      assert.strictEqual(run.get(RECORD, "app-alias").parent, run.get("slipway:aws:Domain").urn)
    })

    it("refuses a record name outside the zone", async () => {
      const error = await runPulumiProgram(() => {
        const domain = new Domain("app", { name: "app.example.com", zoneName: "example.com" })
        domain.aliasTo(
          { dnsName: "x.elb.amazonaws.com", zoneId: "Z35SXDOTRQ7X7K" },
          { name: "app.other.com" },
        )
      }).then(
        () => assert.fail("expected a refusal"),
        (e: unknown) => e,
      )
      assert.instanceOf(error, PulumiProgramError)
      assert.include(error.message, "app.other.com is not inside example.com")
      assert.isFalse(error.resources.some((r) => r.name.startsWith("app-alias")))
    })
  })
})
