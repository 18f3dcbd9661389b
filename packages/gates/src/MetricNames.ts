/**
 * The metric names Slipway's own proxy exposes and the Prometheus source reads — one
 * definition both sides import, so they cannot drift apart.
 *
 * - `slipway_requests_total{app, revision, status_class}` — counter of responses per
 *   revision; `status_class` is `1xx` … `5xx`. A request the proxy could not deliver
 *   (upstream refused, reset or timed out) counts as the `5xx` the proxy answered with.
 * - `slipway_request_duration_seconds_bucket{app, revision, le}`, `_sum`, `_count` —
 *   histogram of the time from request received to response headers sent, in seconds.
 */

/**
 * Names, labels and the recommended histogram buckets of Slipway's request metrics.
 *
 * @example
 * import { metricNames } from "@slipway/gates"
 * const line = `${metricNames.requests}{${metricNames.labels.revision}="api-3f9c2a7b1d0e",${metricNames.labels.statusClass}="2xx"} 318`
 * // slipway_requests_total{revision="api-3f9c2a7b1d0e",status_class="2xx"} 318
 */
export const metricNames = {
  /** Counter of responses by revision and status class. */
  requests: "slipway_requests_total",
  /** Histogram (seconds) of request durations by revision: `_bucket{le}`, `_sum`, `_count`. */
  requestDuration: "slipway_request_duration_seconds",
  labels: {
    app: "app",
    revision: "revision",
    statusClass: "status_class",
    le: "le",
  },
  /** Values of the `status_class` label; `5xx` is what error rates count. */
  statusClasses: ["1xx", "2xx", "3xx", "4xx", "5xx"],
  /**
   * Bucket upper bounds (seconds) for `slipway_request_duration_seconds`: dense between
   * 25 ms and 1 s, where latency thresholds usually sit, so interpolated percentiles stay
   * within a few milliseconds there.
   */
  durationBuckets: [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3,
    5, 10,
  ],
} as const
