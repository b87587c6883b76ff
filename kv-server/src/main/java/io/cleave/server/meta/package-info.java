/**
 * The meta shard and the placement loop. The cluster map is the value of one key of the internal
 * {@code __meta} keyspace, changed only by {@link io.cleave.server.meta.ClusterMapType} commands,
 * so it gets the data shards' replication, snapshots and restart protocol for free.
 */
package io.cleave.server.meta;
