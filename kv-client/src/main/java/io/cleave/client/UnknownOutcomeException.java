package io.cleave.client;

import io.grpc.Status;

/**
 * A write's deadline passed after it was sent: it may or may not have been applied. The client does
 * not retry it, because a command (an increment, say) applied twice is a wrong answer, not a slow
 * one. Read the key to learn the outcome, or retry only if the write is idempotent for you.
 */
public class UnknownOutcomeException extends CleaveException {
  private static final long serialVersionUID = 1L;

  /** An unknown outcome, with the failure that left it unknown. */
  public UnknownOutcomeException(String message, Throwable cause) {
    super(Status.Code.DEADLINE_EXCEEDED, message, cause);
  }
}
