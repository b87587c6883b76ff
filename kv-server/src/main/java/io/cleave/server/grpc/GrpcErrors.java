package io.cleave.server.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import io.cleave.api.v1.ShardError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Every failure a service returns is built here, so clients see one consistent vocabulary. */
public final class GrpcErrors {
  private GrpcErrors() {}

  public static StatusRuntimeException invalidArgument(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException failedPrecondition(String message) {
    return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException alreadyExists(String message) {
    return Status.ALREADY_EXISTS.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException unavailable(String message) {
    return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
  }

  /** A retryable routing failure with the detail the client repairs its cache from. */
  public static StatusRuntimeException shardError(ShardError error, String message) {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.UNAVAILABLE_VALUE)
            .setMessage(error.getCode() + ": " + message)
            .addDetails(Any.pack(error))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** Maps anything thrown while serving a call to a status. */
  public static StatusRuntimeException toStatus(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (cause instanceof io.grpc.StatusException se) {
      return se.getStatus().asRuntimeException(se.getTrailers());
    }
    if (cause instanceof IllegalArgumentException) {
      return invalidArgument(cause.getMessage());
    }
    if (cause instanceof TimeoutException) {
      return Status.DEADLINE_EXCEEDED.withDescription(cause.getMessage()).asRuntimeException();
    }
    return Status.UNAVAILABLE
        .withDescription(cause.getClass().getSimpleName() + ": " + cause.getMessage())
        .withCause(cause)
        .asRuntimeException();
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
