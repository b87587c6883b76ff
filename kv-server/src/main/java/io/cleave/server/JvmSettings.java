package io.cleave.server;

/**
 * JVM-wide settings a node process needs; applied by the process entry points before anything else.
 */
public final class JvmSettings {
  static final String COMMON_POOL_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  private JvmSettings() {}

  /**
   * Gives the common ForkJoinPool at least 4 threads unless the operator chose a size.
   *
   * <p>On a machine with 2 cores or fewer the common pool has parallelism 1, and {@code
   * CompletableFuture} then runs every {@code *Async} continuation that names no executor on a
   * brand-new thread. Ratis does that on its write path (log write completion, follower appends,
   * its client's replies): a 3-node loopback cluster under 16 writers started about 330 threads per
   * second (docs/benchmarks.md). Must run before anything touches {@code ForkJoinPool} or {@code
   * CompletableFuture}, so entry points call it from a static initializer.
   */
  public static void apply() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(
          COMMON_POOL_PARALLELISM,
          Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
  }
}
