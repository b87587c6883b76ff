/**
 * Shard replicas: the Ratis state machine that applies a shard's log to the node's store, value
 * types, and the per-shard statistics the placement controller reads.
 */
package io.cleave.server.shard;
