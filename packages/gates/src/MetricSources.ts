/**
 * Implementations of core's `MetricSource`, gathered for `Gate.MetricSources.*`:
 * `layerMemory` (tests, with the `MemoryMetrics` handle) and `prometheus` (a text
 * exposition endpoint such as Slipway's local proxy).
 *
 * @example
 * import * as Gate from "@slipway/gates"
 * const forTests = Gate.MetricSources.layerMemory()
 * const forReal = Gate.MetricSources.prometheus({ url: "http://127.0.0.1:9464/metrics" })
 */
export {
  layerMemory,
  MemoryMetrics,
  type MemoryRevisionData,
  type RecordedRequest,
} from "./MemoryMetricSource.ts"
export { type PrometheusSourceOptions, prometheus } from "./PrometheusMetricSource.ts"
