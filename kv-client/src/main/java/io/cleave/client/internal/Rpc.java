package io.cleave.client.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** One unary gRPC call as a {@link CompletableFuture}, the only shape the client needs. */
public final class Rpc {
  private Rpc() {}

  /**
   * Starts {@code method} on {@code channel}. The future fails with the gRPC {@code
   * StatusRuntimeException}; cancelling the future cancels the call, so a caller that gives up does
   * not leave the RPC running on the node.
   */
  public static <Q, A> CompletableFuture<A> call(
      Channel channel, MethodDescriptor<Q, A> method, Q request, Deadline deadline) {
    ClientCall<Q, A> call = channel.newCall(method, CallOptions.DEFAULT.withDeadline(deadline));
    CompletableFuture<A> result =
        new CompletableFuture<>() {
          @Override
          public boolean cancel(boolean mayInterruptIfRunning) {
            call.cancel("cancelled by the caller", null);
            return super.cancel(mayInterruptIfRunning);
          }
        };
    ClientCalls.asyncUnaryCall(
        call,
        request,
        new StreamObserver<>() {
          @Override
          public void onNext(A value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    return result;
  }
}
