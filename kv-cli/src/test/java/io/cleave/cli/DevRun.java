package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * {@code cleave dev} running on a background thread of the test JVM, as a user runs it in a
 * terminal. {@link #stop()} interrupts it, which the command treats as Ctrl-C.
 */
final class DevRun {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final AtomicInteger exitCode = new AtomicInteger(-1);
  private final Thread thread;

  private DevRun(String... args) {
    thread =
        new Thread(
            () ->
                exitCode.set(
                    CleaveCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                        .execute(args)),
            "cleave-dev-test");
  }

  /** Starts {@code cleave dev} on {@code dataDir} and waits until it prints that it is ready. */
  static DevRun start(Path dataDir, int basePort, int raftBasePort) {
    DevRun run =
        new DevRun(
            "dev",
            "--data-dir",
            dataDir.toString(),
            "--base-port",
            String.valueOf(basePort),
            "--raft-base-port",
            String.valueOf(raftBasePort));
    run.thread.start();
    Awaitility.await("cleave dev ready")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> run.out().contains("Press Ctrl-C") || !run.thread.isAlive());
    assertThat(run.thread.isAlive())
        .as("cleave dev exited %s; stdout:%n%s%nstderr:%n%s", run.exitCode, run.out(), run.err())
        .isTrue();
    return run;
  }

  /** Stops the cluster as Ctrl-C would; answers the command's exit code. */
  int stop() {
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(60).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertThat(thread.isAlive()).as("cleave dev still running after stop").isFalse();
    return exitCode.get();
  }

  String out() {
    return out.toString();
  }

  String err() {
    return err.toString();
  }

  /**
   * A base port {@code p} such that {@code p..p+n-1} and {@code p+100..p+100+n-1} are free on
   * loopback: the layout {@code dev --base-port p} uses by default.
   */
  static int freeBasePort(int nodes) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
      boolean free = true;
      for (int i = 0; i < nodes && free; i++) {
        free = isFree(base + i) && isFree(base + 100 + i);
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free block of loopback ports found");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
