package io.cleave.client;

import io.grpc.Status;

/**
 * A node rejected the request's content (INVALID_ARGUMENT): a value over the node's limit, a
 * malformed command argument, a command the value type refused. Never retried: the same request
 * fails the same way. Key checks the client can make itself throw {@link IllegalArgumentException}
 * before any RPC instead.
 */
public class InvalidArgumentException extends CleaveException {
  private static final long serialVersionUID = 1L;

  /** A rejection with the node's message. */
  public InvalidArgumentException(String message, Throwable cause) {
    super(Status.Code.INVALID_ARGUMENT, message, cause);
  }
}
