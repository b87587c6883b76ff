package io.cleave.client.internal;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cleave.api.v1.ShardError;
import io.cleave.client.CleaveException;
import io.cleave.client.InvalidArgumentException;
import io.cleave.client.UnknownOutcomeException;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The one place where gRPC failures become the client's exceptions and routing errors. */
public final class Errors {
  private Errors() {}

  /** The ShardError detail of a failure, or null when it has none. */
  public static ShardError shardError(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(unwrap(t));
    if (status == null) {
      return null;
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ShardError.class)) {
        try {
          return detail.unpack(ShardError.class);
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** Strips the wrappers futures add around the real failure. */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * The client exception for a final failure. A {@link CleaveException} passes through; a gRPC
   * failure maps by code; DEADLINE_EXCEEDED of a write that may have been applied becomes {@link
   * UnknownOutcomeException}.
   *
   * @param write whether the failed call changes data
   */
  public static CleaveException toException(Throwable t, boolean write) {
    t = unwrap(t);
    if (t instanceof CleaveException e) {
      return e;
    }
    Status status = Status.fromThrowable(t);
    String message = status.getDescription() == null ? "" : status.getDescription();
    return switch (status.getCode()) {
      case INVALID_ARGUMENT -> new InvalidArgumentException(message, t);
      case DEADLINE_EXCEEDED ->
          write
              ? new UnknownOutcomeException("write deadline exceeded, outcome unknown", t)
              : new CleaveException(status.getCode(), "deadline exceeded " + message, t);
      default -> new CleaveException(status.getCode(), message, t);
    };
  }
}
