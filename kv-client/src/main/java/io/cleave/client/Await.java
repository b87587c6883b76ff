package io.cleave.client;

import io.cleave.client.internal.Errors;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** How the blocking views wait: interruptibly, rethrowing the call's own exception unwrapped. */
final class Await {
  private Await() {}

  static <T> T result(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new CleaveException(Status.Code.CANCELLED, "interrupted while waiting", e);
    } catch (ExecutionException e) {
      Throwable cause = Errors.unwrap(e);
      if (cause instanceof RuntimeException runtime) {
        // CleaveException and IllegalArgumentException alike: the caller sees what the call threw.
        throw runtime;
      }
      throw Errors.toException(cause, false);
    }
  }
}
