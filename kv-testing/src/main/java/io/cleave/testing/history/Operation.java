package io.cleave.testing.history;

import java.util.Objects;

/**
 * One completed (or abandoned) client call, as the checkers see it.
 *
 * @param id recorder-assigned sequence number, unique within a history (invocation order)
 * @param clientId the logical client (a single-threaded actor) that issued the call
 * @param command what was asked
 * @param outcome whether it happened, did not happen, or is unknown
 * @param observed for an {@code OK} {@code READ}: the value read, {@code null} for absent;
 *     otherwise {@code null}
 * @param casSucceeded for an {@code OK} {@code CAS}: whether the swap happened; otherwise {@code
 *     false}
 * @param invokeNanos {@link System#nanoTime()} just before the request was sent
 * @param completeNanos {@link System#nanoTime()} just after the answer arrived; {@link
 *     Long#MAX_VALUE} (+∞) for {@code UNKNOWN}, which may take effect at any time after invocation
 */
public record Operation(
    long id,
    int clientId,
    Command command,
    Outcome outcome,
    Bytes observed,
    boolean casSucceeded,
    long invokeNanos,
    long completeNanos) {

  /** How a call ended. */
  public enum Outcome {
    /** Acknowledged; {@code observed}/{@code casSucceeded} hold the answer. */
    OK,
    /**
     * Definitely not applied (e.g. rejected before the proposal). Only use this when the server
     * guarantees it; anything doubtful is {@link #UNKNOWN}, or the checker raises false alarms.
     */
    FAIL,
    /** Timeout or indeterminate error: it may have been applied at any time after invocation. */
    UNKNOWN
  }

  /** Normalises UNKNOWN completions to +∞ and rejects inconsistent records. */
  public Operation {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(outcome, "outcome");
    if (outcome == Outcome.UNKNOWN) {
      completeNanos = Long.MAX_VALUE;
    }
    if (completeNanos < invokeNanos) {
      throw new IllegalArgumentException("operation " + id + " completes before it is invoked");
    }
    boolean okRead = outcome == Outcome.OK && command.type() == Command.Type.READ;
    boolean okCas = outcome == Outcome.OK && command.type() == Command.Type.CAS;
    if (!okRead && observed != null) {
      throw new IllegalArgumentException("only an OK READ has an observed value: " + id);
    }
    if (!okCas && casSucceeded) {
      throw new IllegalArgumentException("only an OK CAS can have succeeded: " + id);
    }
  }

  /** The key the command targets. */
  public Bytes key() {
    return command.key();
  }

  /** The command's type. */
  public Command.Type type() {
    return command.type();
  }

  /**
   * Whether this operation changed the key for sure: an acknowledged write or delete, or an
   * acknowledged CAS that swapped.
   */
  public boolean acknowledgedMutation() {
    return outcome == Outcome.OK
        && (command.type() == Command.Type.WRITE
            || command.type() == Command.Type.DELETE
            || casSucceeded);
  }

  /** Whether this operation may have changed the key: acknowledged as such, or unknown. */
  public boolean possibleMutation() {
    return acknowledgedMutation() || (outcome == Outcome.UNKNOWN && command.mutates());
  }

  /** The value the key holds after this operation if it mutated it ({@code null} = absent). */
  public Bytes writtenValue() {
    return command.value();
  }

  @Override
  public String toString() {
    return OperationFormat.describe(this, 0);
  }
}
