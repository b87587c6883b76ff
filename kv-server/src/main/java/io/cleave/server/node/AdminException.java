package io.cleave.server.node;

/** An admin request that cannot be done, with the kind of reason the API reports. */
public final class AdminException extends RuntimeException {
  /** The reason, which the gRPC layer maps to a status code. */
  public enum Kind {
    INVALID_ARGUMENT,
    ALREADY_EXISTS,
    NOT_FOUND,
    FAILED_PRECONDITION,
    UNAVAILABLE
  }

  private final Kind kind;

  public AdminException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
