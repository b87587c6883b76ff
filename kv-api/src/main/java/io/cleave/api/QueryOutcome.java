package io.cleave.api;

/**
 * What {@link ValuePerKey#query} returns: RaftKV's {@code (result, load)}.
 *
 * @param result returned to the caller
 * @param load non-negative cost of the query
 */
public record QueryOutcome<R>(R result, long load) {
  public QueryOutcome {
    if (load < 0) {
      throw new IllegalArgumentException("load must be non-negative");
    }
  }
}
