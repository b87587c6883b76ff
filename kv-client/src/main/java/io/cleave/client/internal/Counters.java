package io.cleave.client.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of what the client did, cheap enough to bump on every call. Integration tests read
 * them to check that routing costs a bounded number of extra round trips.
 */
public final class Counters {
  /** Public calls made (a batch counts once). */
  public final LongAdder calls = new LongAdder();

  /** KvService RPCs sent, including retries and every per-shard part of a batch. */
  public final LongAdder attempts = new LongAdder();

  /** Retries caused by NOT_LEADER, EPOCH_MISMATCH or SHARD_NOT_FOUND. */
  public final LongAdder routingRetries = new LongAdder();

  /** Retries after a backoff: SHARD_BUSY, a node down, no leader known. */
  public final LongAdder backoffRetries = new LongAdder();

  /** Cluster maps requested (GetClusterMap calls started; concurrent reloads share one). */
  public final LongAdder mapReloads = new LongAdder();

  /** Calls that ended with an exception. */
  public final LongAdder failures = new LongAdder();
}
