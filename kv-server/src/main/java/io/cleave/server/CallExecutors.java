package io.cleave.server;

import io.cleave.api.v1.KvServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executors that run a node's gRPC call events (docs/design/0009). The data service ({@code
 * KvService}) runs on a small {@link ForkJoinPool} in async mode, which is also the server's
 * executor, so a data call never touches a cached pool; every other service (admin, node-to-node,
 * health, reflection) switches to a cached pool after the method lookup, because its handlers block
 * unmanaged (blocking stubs that forward to the meta leader, streamed snapshots).
 *
 * <p>gRPC's default is one shared cached pool for everything: a {@code SynchronousQueue} hand-off
 * per call event, 3-4 per unary call, ~27 % of a shard leader's CPU under 64 readers
 * (docs/benchmarks.md, session 3). The data pool is sized to the machine's cores, not to the number
 * of calls: the data service's handlers do not block except in {@code CompletableFuture.join}
 * (Ratis's {@code submitClientRequestAsync} waits for its client executor that way), which the pool
 * sees as a managed block and compensates for with a spare thread. Nothing on the data path may
 * block any other way: a plain lock wait or a blocking stub would hold one of the pool's few
 * threads.
 */
final class CallExecutors implements ServerCallExecutorSupplier, AutoCloseable {
  /** Threads running data calls: one per core, at least 2 so one join never idles the pool. */
  static final int DATA_PARALLELISM = Math.max(2, Runtime.getRuntime().availableProcessors());

  /**
   * Data threads at most, spares included. The pool adds a spare when one of its threads blocks in
   * a join ({@code minimumRunnable} = parallelism), and under 64 readers Ratis's joins pile up:
   * with no tight bound a node grew 55 data threads in a minute (docs/benchmarks.md, session 3).
   * More waiters do not help: each shard's Ratis client executor takes submissions on one thread,
   * so at the bound a thread simply waits without a spare, and new calls queue in the pool until a
   * join returns (it always does: nothing on the data path waits for work queued on this pool).
   */
  static final int MAX_DATA_THREADS = 4 * DATA_PARALLELISM;

  static final long SPARE_KEEP_ALIVE_SECONDS = 60;

  private static final Logger LOG = LoggerFactory.getLogger(CallExecutors.class);

  private final ForkJoinPool dataCalls;
  private final ExecutorService otherCalls;

  CallExecutors(String nodeId) {
    AtomicInteger dataThreads = new AtomicInteger();
    this.dataCalls =
        new ForkJoinPool(
            DATA_PARALLELISM,
            pool -> {
              ForkJoinWorkerThread t =
                  ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
              t.setName(nodeId + "-grpc-data-" + dataThreads.incrementAndGet());
              return t;
            },
            (thread, e) -> LOG.error("uncaught in {}", thread.getName(), e),
            true, // async mode: FIFO, for event-style tasks that are never joined
            0,
            MAX_DATA_THREADS,
            // A spare as soon as any worker blocks, not only when all of them do: a write's join
            // on Ratis's client executor can last as long as an append, and with one runnable
            // thread the other calls queued behind it (workload A at 16 threads lost 38 % that
            // way; docs/design/0009).
            DATA_PARALLELISM,
            pool -> true, // at the bound, block without a spare instead of failing the call
            SPARE_KEEP_ALIVE_SECONDS,
            TimeUnit.SECONDS);
    AtomicInteger otherThreads = new AtomicInteger();
    ThreadFactory others =
        r -> {
          Thread t = new Thread(r, nodeId + "-grpc-" + otherThreads.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.otherCalls = Executors.newCachedThreadPool(others);
  }

  /**
   * The server's executor: runs every call's method lookup, then the data service's calls
   * (ServerBuilder.executor).
   */
  ForkJoinPool dataCalls() {
    return dataCalls;
  }

  /** The executor for the rest of a call's events, chosen by its service. */
  @Override
  public <ReqT, RespT> ExecutorService getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
    return KvServiceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())
        ? dataCalls
        : otherCalls;
  }

  /** Stops both pools; call after the gRPC server has stopped. */
  @Override
  public void close() {
    dataCalls.shutdownNow();
    otherCalls.shutdownNow();
  }
}
