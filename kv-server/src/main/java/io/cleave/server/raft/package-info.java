/** Ratis wiring: the node's Raft settings and the mapping from shards to Raft groups. */
package io.cleave.server.raft;
