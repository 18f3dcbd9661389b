import { assert, describe, it } from "@effect/vitest"
import type * as pulumi from "@pulumi/pulumi"
import { PulumiProgramError, type PulumiRun, runPulumiProgram } from "@slipway/testing"
import { ComponentArgsInvalid, Network, type NetworkArgs } from "../src/index.ts"

const VPC = "aws:ec2/vpc:Vpc"
const SUBNET = "aws:ec2/subnet:Subnet"
const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
const ROUTE = "aws:ec2/route:Route"
const ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
const NAT = "aws:ec2/natGateway:NatGateway"
const EIP = "aws:ec2/eip:Eip"
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"

const build = (args?: NetworkArgs, opts?: pulumi.ComponentResourceOptions) =>
  runPulumiProgram(() => {
    const net = new Network("net", args, opts)
    return {
      vpcId: net.vpcId,
      publicSubnetIds: net.publicSubnetIds,
      privateSubnetIds: net.privateSubnetIds,
      zones: net.availabilityZones,
      natIps: net.natPublicIps,
    }
  })

/** The problems a component refused its arguments with, from a failed run. */
const refusal = async (args: NetworkArgs): Promise<ComponentArgsInvalid> => {
  const error = await build(args).then(
    () => assert.fail("expected the arguments to be refused"),
    (e: unknown) => e,
  )
  assert.instanceOf(error, PulumiProgramError)
  // Validation happens before anything is registered, the component included.
  assert.deepStrictEqual(error.resources, [])
  assert.instanceOf(error.cause, ComponentArgsInvalid)
  return error.cause
}

const privateRouteTarget = (run: PulumiRun<unknown>, az: string): string | undefined => {
  const subnet = run.byType(SUBNET).find((s) => s.name === `net-private-${az}`)!
  const assoc = run.byType(ASSOCIATION).find((a) => a.inputs.subnetId === subnet.id)!
  const route = run.byType(ROUTE).find((r) => r.inputs.routeTableId === assoc.inputs.routeTableId)
  return route?.inputs.natGatewayId ?? route?.inputs.gatewayId
}

describe("Network", () => {
  it("builds public and private subnets in two zones with one NAT gateway by default", async () => {
    const run = await build()
    const component = run.get("slipway:aws:Network", "net")
    const vpc = run.get(VPC)
    assert.strictEqual(vpc.inputs.cidrBlock, "10.0.0.0/16")
    assert.isTrue(vpc.inputs.enableDnsHostnames)

    const subnets = run.byType(SUBNET)
    const layout = Object.fromEntries(
      subnets.map((s) => [s.name, [s.inputs.cidrBlock, s.inputs.availabilityZone]]),
    )
    assert.deepStrictEqual(layout, {
      "net-public-a": ["10.0.192.0/20", "us-east-1a"],
      "net-public-b": ["10.0.208.0/20", "us-east-1b"],
      "net-private-a": ["10.0.0.0/18", "us-east-1a"],
      "net-private-b": ["10.0.64.0/18", "us-east-1b"],
    })
    assert.isTrue(subnets.every((s) => s.inputs.mapPublicIpOnLaunch === false && s.inputs.vpcId === vpc.id))

    // one public table routed to the internet gateway, one private table per zone
    assert.strictEqual(run.byType(ROUTE_TABLE).length, 3)
    const igw = run.get("aws:ec2/internetGateway:InternetGateway")
    const publicRoute = run.get(ROUTE, "net-public-internet")
    assert.strictEqual(publicRoute.inputs.gatewayId, igw.id)
    assert.strictEqual(publicRoute.inputs.destinationCidrBlock, "0.0.0.0/0")
    assert.strictEqual(run.byType(ASSOCIATION).length, 4)

    // single NAT: one EIP + gateway in the first public subnet, both zones egress through it
    const [nat, ...moreNats] = run.byType(NAT)
    assert.isDefined(nat)
    assert.lengthOf(moreNats, 0)
    assert.lengthOf(run.byType(EIP), 1)
    assert.strictEqual(nat.inputs.subnetId, run.get(SUBNET, "net-public-a").id)
    assert.strictEqual(privateRouteTarget(run, "a"), nat.id)
    assert.strictEqual(privateRouteTarget(run, "b"), nat.id)

    // a free S3 gateway endpoint on the private route tables, nothing billed per hour
    const [s3] = run.byType(ENDPOINT)
    assert.strictEqual(s3?.inputs.serviceName, "com.amazonaws.us-east-1.s3")
    assert.strictEqual(s3?.inputs.vpcEndpointType, "Gateway")
    assert.lengthOf(s3?.inputs.routeTableIds, 2)

    // every child hangs under the component; the outputs are the children's ids
    assert.isTrue(run.resources.filter((r) => r !== component).every((r) => r.parent === component.urn))
    assert.strictEqual(run.outputs.vpcId, vpc.id)
    assert.deepStrictEqual(run.outputs.privateSubnetIds, [
      run.get(SUBNET, "net-private-a").id,
      run.get(SUBNET, "net-private-b").id,
    ])
    assert.deepStrictEqual(run.outputs.zones, ["us-east-1a", "us-east-1b"])
    assert.deepStrictEqual(component.outputs.publicSubnetIds, run.outputs.publicSubnetIds)
    assert.deepStrictEqual(run.policy(), [])
  })

  it("gives each of three zones its own NAT gateway with nat: perAz", async () => {
    const run = await build({ azCount: 3, nat: "perAz", cidrBlock: "172.20.0.0/20" })
    const nats = run.byType(NAT)
    assert.lengthOf(nats, 3)
    assert.lengthOf(run.byType(EIP), 3)
    for (const az of ["a", "b", "c"]) {
      const nat = run.get(NAT, `net-nat-${az}`)
      assert.strictEqual(nat.inputs.subnetId, run.get(SUBNET, `net-public-${az}`).id)
      assert.strictEqual(privateRouteTarget(run, az), nat.id, `zone ${az} egresses through its own NAT`)
    }
    const cidrs = Object.fromEntries(run.byType(SUBNET).map((s) => [s.name, s.inputs.cidrBlock]))
    assert.deepStrictEqual(cidrs, {
      "net-public-a": "172.20.12.0/24",
      "net-public-b": "172.20.13.0/24",
      "net-public-c": "172.20.14.0/24",
      "net-private-a": "172.20.0.0/22",
      "net-private-b": "172.20.4.0/22",
      "net-private-c": "172.20.8.0/22",
    })
    assert.lengthOf(run.outputs.natIps, 3)
  })

  it("has no NAT and no default route with nat: none, reaching AWS through interface endpoints", async () => {
    const run = await build({ nat: "none" })
    assert.lengthOf(run.byType(NAT), 0)
    assert.lengthOf(run.byType(EIP), 0)
    assert.isUndefined(privateRouteTarget(run, "a"))
    assert.isUndefined(privateRouteTarget(run, "b"))
    const services = run
      .byType(ENDPOINT)
      .map((e) => e.inputs.serviceName.replace("com.amazonaws.us-east-1.", ""))
    assert.deepStrictEqual(services.sort(), ["ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager", "ssm"])
    const ecr = run.get(ENDPOINT, "net-ecr-dkr")
    assert.isTrue(ecr.inputs.privateDnsEnabled)
    assert.deepStrictEqual(ecr.inputs.subnetIds, run.outputs.privateSubnetIds)
    // the endpoints' security group admits HTTPS from the VPC only
    const rule = run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert.deepInclude(rule.inputs, {
      cidrIpv4: "10.0.0.0/16",
      fromPort: 443,
      toPort: 443,
      ipProtocol: "tcp",
    })
    assert.deepStrictEqual(ecr.inputs.securityGroupIds, [rule.inputs.securityGroupId])
    assert.deepStrictEqual(run.outputs.natIps, [])
    assert.deepStrictEqual(run.policy(), [])
  })

  it("uses the zones it is given without looking them up", async () => {
    const run = await build({ availabilityZones: ["us-east-1d", "us-east-1f"] })
    assert.deepStrictEqual(run.outputs.zones, ["us-east-1d", "us-east-1f"])
    assert.isFalse(run.calls.some((c) => c.token === "aws:index/getAvailabilityZones:getAvailabilityZones"))
  })

  it("looks up zones excluding Local and Wavelength Zones", async () => {
    const run = await build()
    const call = run.calls.find((c) => c.token === "aws:index/getAvailabilityZones:getAvailabilityZones")
    assert.deepStrictEqual(call?.inputs.filters, [{ name: "opt-in-status", values: ["opt-in-not-required"] }])
  })

  it("fails when the region has fewer zones than azCount", async () => {
    const error = await runPulumiProgram(
      () => {
        const net = new Network("net", { azCount: 3 })
        return net.privateSubnetIds
      },
      {
        calls: (args) =>
          args.token === "aws:index/getAvailabilityZones:getAvailabilityZones"
            ? { id: "us-west-1", names: ["us-west-1a", "us-west-1c"], zoneIds: ["usw1-az1", "usw1-az3"] }
            : undefined,
      },
    ).then(
      () => assert.fail("expected the run to fail"),
      (e: unknown) => e,
    )
    assert.instanceOf(error, PulumiProgramError)
    assert.match(error.message, /the region has 2 available zone\(s\) but azCount is 3/)
  })

  describe("refuses arguments that cannot work, before registering anything", () => {
    const cases: ReadonlyArray<[string, NetworkArgs, string, RegExp]> = [
      ["a CIDR that is not one", { cidrBlock: "10.0.0/16" }, "cidrBlock", /not an IPv4 CIDR block/],
      ["an octet above 255", { cidrBlock: "10.300.0.0/16" }, "cidrBlock", /not an IPv4 CIDR block/],
      ["a VPC larger than /16", { cidrBlock: "10.0.0.0/8" }, "cidrBlock", /\/8 is larger than a VPC can be/],
      ["a VPC too small for ALB subnets", { cidrBlock: "10.0.0.0/26" }, "cidrBlock", /smaller than the \/27/],
      ["host bits set", { cidrBlock: "10.0.1.0/16" }, "cidrBlock", /host bits set/],
      ["a public range", { cidrBlock: "8.8.0.0/16" }, "cidrBlock", /not a private range/],
      ["one zone", { azCount: 1 as 2 }, "azCount", /not a supported zone count/],
      ["four zones", { azCount: 4 as 3 }, "azCount", /not a supported zone count/],
      [
        "a repeated zone",
        { availabilityZones: ["us-east-1a", "us-east-1a"] },
        "availabilityZones",
        /listed twice/,
      ],
      ["an unknown NAT mode", { nat: "gateway" as "single" }, "nat", /not a NAT mode/],
      ["an unknown endpoint", { endpoints: ["s4" as "s3"] }, "endpoints", /not a supported endpoint/],
    ]
    for (const [what, args, arg, problem] of cases) {
      it(`refuses ${what}`, async () => {
        const error = await refusal(args)
        const found = error.problems.find((p) => p.arg === arg)
        assert.isDefined(found, `a problem with ${arg}`)
        assert.match(`${found!.problem}; ${found!.fix}`, problem)
        assert.include(error.message, `slipway:aws:Network "net"`)
      })
    }

    it("suggests the network address when host bits are set", async () => {
      const error = await refusal({ cidrBlock: "10.0.1.0/16" })
      assert.include(error.problems[0]!.fix, '"10.0.0.0/16"')
    })
  })

  it("applies per-child transforms and Pulumi transforms to its children", async () => {
    const run = await build(
      {
        transform: {
          vpc: { instanceTenancy: "default" },
          privateSubnet: (args) => {
            args.tags = { ...args.tags, tier: "app" }
          },
        },
      },
      {
        transforms: [
          (t) =>
            t.type === NAT
              ? { props: { ...t.props, tags: { ...t.props.tags, cost: "egress" } }, opts: t.opts }
              : undefined,
        ],
      },
    )
    assert.strictEqual(run.get(VPC).inputs.instanceTenancy, "default")
    assert.strictEqual(run.get(SUBNET, "net-private-a").inputs.tags.tier, "app")
    assert.isUndefined(run.get(SUBNET, "net-public-a").inputs.tags.tier)
    assert.strictEqual(run.get(NAT).inputs.tags.cost, "egress")
    assert.strictEqual(run.get(VPC).inputs.tags["slipway:component"], "Network")
  })

  describe("fromExisting", () => {
    it("adopts an existing VPC and creates nothing", async () => {
      const run = await runPulumiProgram(
        () => {
          const net = Network.fromExisting({
            vpcId: "vpc-0abc123",
            publicSubnetIds: ["subnet-0a", "subnet-0b"],
            privateSubnetIds: ["subnet-1a", "subnet-1b"],
          })
          return {
            vpcId: net.vpcId,
            pub: net.publicSubnetIds,
            priv: net.privateSubnetIds,
            cidr: net.cidrBlock,
          }
        },
        { vpcs: { "vpc-0abc123": "172.31.0.0/16" } },
      )
      assert.deepStrictEqual(run.resources, [])
      assert.deepStrictEqual(run.outputs, {
        vpcId: "vpc-0abc123",
        pub: ["subnet-0a", "subnet-0b"],
        priv: ["subnet-1a", "subnet-1b"],
        cidr: "172.31.0.0/16",
      })
    })

    it("does not look the VPC up unless its CIDR is read", async () => {
      const run = await runPulumiProgram(() => {
        const net = Network.fromExisting({
          vpcId: "vpc-0abc123",
          publicSubnetIds: ["subnet-0a", "subnet-0b"],
          privateSubnetIds: ["subnet-1a"],
        })
        return net.vpcId
      })
      assert.deepStrictEqual(run.calls, [])
    })

    it("refuses a single public subnet and malformed ids", () => {
      try {
        Network.fromExisting({ vpcId: "vpc-xyz", publicSubnetIds: ["subnet-0a"], privateSubnetIds: ["sn-1"] })
        assert.fail("expected a refusal")
      } catch (e) {
        assert.instanceOf(e, ComponentArgsInvalid)
        assert.deepStrictEqual(
          e.problems.map((p) => p.arg),
          ["vpcId", "publicSubnetIds", "privateSubnetIds"],
        )
      }
    })
  })
})
