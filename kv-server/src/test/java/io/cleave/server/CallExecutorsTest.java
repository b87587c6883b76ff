package io.cleave.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.v1.AdminServiceGrpc;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which gRPC calls run where, and why blocking in a join on the data pool is safe. */
class CallExecutorsTest {
  @Test
  void dataCallsRunOnTheDataPoolAndEveryOtherServiceOnACachedPool() {
    try (CallExecutors executors = new CallExecutors("n1")) {
      assertThat(executors.getExecutor(callTo(KvServiceGrpc.getGetMethod()), new Metadata()))
          .isSameAs(executors.dataCalls());
      assertThat(executors.getExecutor(callTo(KvServiceGrpc.getBatchMethod()), new Metadata()))
          .isSameAs(executors.dataCalls());
      // These forward with blocking stubs or stream snapshots: never on the data pool.
      for (MethodDescriptor<?, ?> other :
          new MethodDescriptor<?, ?>[] {
            AdminServiceGrpc.getRegisterKeyspaceMethod(),
            NodeServiceGrpc.getFetchShardMethod(),
            HealthGrpc.getCheckMethod()
          }) {
        assertThat(executors.getExecutor(callTo(other), new Metadata()))
            .as(other.getFullMethodName())
            .isNotNull()
            .isNotSameAs(executors.dataCalls());
      }
      assertThat(executors.dataCalls().getParallelism())
          .isEqualTo(CallExecutors.DATA_PARALLELISM)
          .isGreaterThanOrEqualTo(2);
      assertThat(executors.dataCalls().getAsyncMode()).isTrue();
    }
  }

  @Test
  void callsBlockedInAJoinGetASpareThreadSoTheCallThatUnblocksThemStillRuns() throws Exception {
    // Ratis's submitClientRequestAsync joins its client executor's work: on the data pool every
    // thread may be waiting that way at once, and the pool must still run the next call.
    try (CallExecutors executors = new CallExecutors("n1")) {
      CompletableFuture<Void> gate = new CompletableFuture<>();
      CountDownLatch blocked = new CountDownLatch(CallExecutors.DATA_PARALLELISM);
      for (int i = 0; i < CallExecutors.DATA_PARALLELISM; i++) {
        executors
            .dataCalls()
            .execute(
                () -> {
                  blocked.countDown();
                  gate.join();
                });
      }
      assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
      executors.dataCalls().execute(() -> gate.complete(null));
      gate.get(10, TimeUnit.SECONDS);
      assertThat(executors.dataCalls().getPoolSize())
          .isLessThanOrEqualTo(CallExecutors.MAX_DATA_THREADS);
    }
  }

  @Test
  void joinsBeyondTheThreadBoundWaitWithoutSpareThreadsAndAllFinish() throws Exception {
    // 64 readers each blocked in Ratis's join must not become 64 threads (measured: 55 without a
    // tight bound); the joins return when Ratis's own thread completes them.
    try (CallExecutors executors = new CallExecutors("n1")) {
      CompletableFuture<Void> gate = new CompletableFuture<>();
      int calls = 3 * CallExecutors.MAX_DATA_THREADS;
      CountDownLatch finished = new CountDownLatch(calls);
      for (int i = 0; i < calls; i++) {
        executors
            .dataCalls()
            .execute(
                () -> {
                  gate.join();
                  finished.countDown();
                });
      }
      Thread.sleep(200);
      assertThat(executors.dataCalls().getPoolSize())
          .isLessThanOrEqualTo(CallExecutors.MAX_DATA_THREADS);
      gate.complete(null); // from outside the pool, like Ratis's client executor
      assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(executors.dataCalls().getPoolSize())
          .isLessThanOrEqualTo(CallExecutors.MAX_DATA_THREADS);
    }
  }

  private static <ReqT, RespT> ServerCall<ReqT, RespT> callTo(
      MethodDescriptor<ReqT, RespT> method) {
    return new ServerCall<>() {
      @Override
      public void request(int numMessages) {}

      @Override
      public void sendHeaders(Metadata headers) {}

      @Override
      public void sendMessage(RespT message) {}

      @Override
      public void close(Status status, Metadata trailers) {}

      @Override
      public boolean isCancelled() {
        return false;
      }

      @Override
      public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
        return method;
      }
    };
  }
}
