/**
 * Metrics: meter names in one place ({@link io.cleave.server.metrics.NodeMetrics}), the gRPC
 * interceptor that times every call, and the Prometheus endpoint. Names follow {@code
 * cleave_<subsystem>_<name>_<unit>}; tags have bounded cardinality (method, status code, never keys
 * or shard ids).
 */
package io.cleave.server.metrics;
