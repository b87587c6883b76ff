package io.cleave.client;

/** How fresh a read must be. */
public enum Consistency {
  /** Sees every write acknowledged before the read started. Served by the shard's leader. */
  LINEARIZABLE,
  /** May be served from a replica's local state and miss recent writes; cheaper. */
  STALE
}
