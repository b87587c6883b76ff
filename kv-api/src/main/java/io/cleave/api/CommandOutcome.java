package io.cleave.api;

/**
 * What {@link ValuePerKey#command} returns: RaftKV's {@code (result, load, next value, size)}.
 *
 * @param result returned to the caller
 * @param load non-negative cost of the command, in units of the type's choosing; drives load-based
 *     splits
 * @param nextValue the key's new value, or {@code null} to delete the key
 * @param nextSize the size of the new value in units of the type's choosing; drives size-based
 *     splits; ignored when {@code nextValue} is null
 */
public record CommandOutcome<V, R>(R result, long load, V nextValue, long nextSize) {
  public CommandOutcome {
    if (load < 0 || nextSize < 0) {
      throw new IllegalArgumentException("load and size must be non-negative");
    }
  }
}
