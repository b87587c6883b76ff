package io.cleave.client;

import io.grpc.Status;

/**
 * A call failed. Carries the gRPC status code that decided it, so callers can branch on the code
 * without parsing messages. Unchecked: nearly every failure here is either a bug (bad argument) or
 * something only a retry much later can fix, and the async API delivers it through a future anyway.
 */
public class CleaveException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;

  /**
   * @param code the gRPC status code of the failure
   * @param message what failed, for people
   * @param cause the gRPC exception or other cause, may be null
   */
  public CleaveException(Status.Code code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  /** The gRPC status code of the failure. */
  public Status.Code code() {
    return code;
  }
}
