package io.cleave.client;

/**
 * A snapshot of the client's running totals, from {@link CleaveClient#metrics()}. Subtract two
 * snapshots ({@link #minus}) to see what a stretch of work cost.
 *
 * @param calls public data calls made; a batch counts once
 * @param attempts KvService RPCs sent: first tries, retries, and each per-shard part of a batch
 * @param routingRetries retries caused by NOT_LEADER, EPOCH_MISMATCH or SHARD_NOT_FOUND
 * @param backoffRetries retries after a wait: SHARD_BUSY, a node down, no leader known
 * @param mapReloads cluster maps fetched (GetClusterMap calls; concurrent reloads share one)
 * @param failures data calls that ended in an exception
 */
public record ClientMetrics(
    long calls,
    long attempts,
    long routingRetries,
    long backoffRetries,
    long mapReloads,
    long failures) {

  /** What happened between {@code earlier} and this snapshot. */
  public ClientMetrics minus(ClientMetrics earlier) {
    return new ClientMetrics(
        calls - earlier.calls,
        attempts - earlier.attempts,
        routingRetries - earlier.routingRetries,
        backoffRetries - earlier.backoffRetries,
        mapReloads - earlier.mapReloads,
        failures - earlier.failures);
  }
}
