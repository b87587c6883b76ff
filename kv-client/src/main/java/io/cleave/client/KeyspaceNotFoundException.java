package io.cleave.client;

import io.grpc.Status;

/**
 * The keyspace does not exist, or is being deregistered. Raised only after the client reloaded the
 * cluster map once, so a keyspace registered a moment ago by another client is found.
 */
public class KeyspaceNotFoundException extends CleaveException {
  private static final long serialVersionUID = 1L;

  /** The keyspace named {@code keyspace} is unknown to the cluster. */
  public KeyspaceNotFoundException(String keyspace, Throwable cause) {
    super(Status.Code.NOT_FOUND, "keyspace '" + keyspace + "' not found", cause);
  }
}
