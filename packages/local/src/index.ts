/**
 * @slipway/local — deploy to this machine: a content-addressed artifact store and
 * packager, a replica supervisor, a weighted reverse proxy with per-revision metrics, and
 * the core capability layers over them.
 */
export * from "./AdminServer.ts"
export * as AgentClient from "./agent/AgentClient.ts"
// The agent: a detached process owning replicas and the proxy, controlled over a unix socket.
export { Agent, AgentUnavailable } from "./agent/AgentClient.ts"
export { type AgentExtras, serveAgent } from "./agent/AgentServer.ts"
export { type AgentOptions, AgentStartFailed, probeAgent, startAgent, stopAgent } from "./agent/Daemon.ts"
export { AgentInfo, socketPathOf } from "./agent/Protocol.ts"
export * from "./HealthCheck.ts"
// HAProxy on a host that already runs it: runtime API client, TrafficRouter and MetricSource layers.
export type { HAProxyBackend } from "./haproxy/Backend.ts"
export * as HAProxyMetricSource from "./haproxy/HAProxyMetricSource.ts"
export * as HAProxyRuntime from "./haproxy/HAProxyRuntime.ts"
export * as HAProxyTrafficRouter from "./haproxy/HAProxyTrafficRouter.ts"
export * as LocalArtifactStore from "./LocalArtifactStore.ts"
export * as LocalCompute from "./LocalCompute.ts"
export * as LocalDns from "./LocalDns.ts"
export * as LocalMetricSource from "./LocalMetricSource.ts"
export * as LocalPackager from "./LocalPackager.ts"
export * as LocalProbeTarget from "./LocalProbeTarget.ts"
export * as LocalTarget from "./LocalTarget.ts"
export * as LocalTrafficRouter from "./LocalTrafficRouter.ts"
export * from "./Ports.ts"
export * from "./ProxyMetrics.ts"
export * from "./ReplicaLog.ts"
export * from "./RevisionConfig.ts"
export * from "./RoutingTable.ts"
export * from "./Supervisor.ts"
export * from "./TreeDigest.ts"
export * from "./WeightedProxy.ts"
