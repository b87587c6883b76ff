package io.cleave.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A faked clock for one node process with libfaketime ({@code apt-get install -y faketime}): the
 * library is preloaded into the node's JVM and fakes {@code clock_gettime} (both the wall clock and
 * the monotonic clock behind {@code System.nanoTime}) and timed waits.
 *
 * <p>{@code "+0 x2"} makes the node's clocks run twice as fast as real time from its start: its
 * election timeouts and leader lease expire after half the real time, its sleeps are halved. That
 * is the clock-rate skew Raft timers and leader leases are sensitive to; a fixed offset ({@code
 * "+2h"}) only moves wall time.
 */
public final class ClockSkew {
  private static final List<Path> CANDIDATES =
      List.of(
          Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
          Path.of("/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"),
          Path.of("/usr/lib/faketime/libfaketimeMT.so.1"),
          Path.of("/usr/local/lib/faketime/libfaketimeMT.so.1"));

  private ClockSkew() {}

  /** The multi-threaded libfaketime library, if installed. */
  public static Optional<Path> library() {
    return CANDIDATES.stream().filter(Files::isRegularFile).findFirst();
  }

  /**
   * The environment that runs a process under the libfaketime spec {@code spec} (e.g. {@code "+0
   * x2"}); fails if libfaketime is not installed.
   */
  public static Map<String, String> environment(String spec) {
    Path lib =
        library()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "libfaketime is not installed (apt-get install -y faketime)"));
    return Map.of("LD_PRELOAD", lib.toString(), "FAKETIME", spec);
  }

  /**
   * A launcher on loopback like {@link ProcessCluster#LOOPBACK} that runs node {@code index} under
   * the libfaketime spec {@code spec}.
   */
  public static ProcessCluster.Launcher onLoopback(int index, String spec) {
    Map<String, String> env = environment(spec);
    return new ProcessCluster.Launcher() {
      @Override
      public Map<String, String> environment(int i) {
        return i == index ? env : Map.of();
      }
    };
  }
}
