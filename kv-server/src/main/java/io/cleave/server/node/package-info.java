/**
 * The node process: wires the store, the Raft server, the shard replicas, the gRPC services, the
 * heartbeat to the meta leader and the placement loop.
 */
package io.cleave.server.node;
