// What the service tests share: a VPC, a certificate, a domain it covers, an image by digest,
// and catching the refusal of a component's arguments.
import { ComponentArgsInvalid } from "../src/component.ts"

export const network = {
  vpcId: "vpc-0123456789abcdef0",
  publicSubnetIds: ["subnet-public-a", "subnet-public-b"],
  privateSubnetIds: ["subnet-private-a", "subnet-private-b"],
}
export const certificateArn =
  "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
export const domain = { name: "web.example.com", zoneId: "Z0EXAMPLE", certificateArn }
export const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:${"a".repeat(64)}`

/** The `ComponentArgsInvalid` that `make` throws; fails when it throws nothing. */
export const refusedBy = (make: () => unknown): ComponentArgsInvalid => {
  try {
    make()
  } catch (e) {
    if (e instanceof ComponentArgsInvalid) return e
    throw e
  }
  throw new Error("expected the arguments to be refused")
}
