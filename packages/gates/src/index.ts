/**
 * @slipway/gates — health gates, metric sources and the verdict algebra.
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const healthy = Gate.all(
 *   Gate.http("/healthz", { expectStatus: "2xx" }),
 *   Gate.requireTraffic(100)(Gate.errorRate({ max: 0.01, window: "1m" })),
 *   Gate.mannWhitney({ window: "5m" }),
 * )
 */
export * from "./Alarm.ts"
export * from "./AlarmSource.ts"
export * from "./Combinators.ts"
export * from "./Compare.ts"
export * from "./Custom.ts"
export * from "./GateConfigError.ts"
export * from "./Http.ts"
export * from "./MannWhitney.ts"
export * from "./MetricNames.ts"
export * as MetricSources from "./MetricSources.ts"
export * from "./ProbeTarget.ts"
export * from "./Prometheus.ts"
export * from "./RequireTraffic.ts"
export * from "./Sampling.ts"
export * from "./Statistics.ts"
export * from "./Tcp.ts"
export * from "./Threshold.ts"
