/**
 * Machinery behind {@link io.cleave.client.CleaveClient}: the per-keyspace routing cache, the
 * channel pool, cluster-map loading, and the one retry loop every data call goes through. Not an
 * API: anything here may change without notice.
 */
package io.cleave.client.internal;
