package io.cleave.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for the nodes a test starts. A port is chosen here and bound by the node later
 * (another process, or after Ratis has started). A port taken with {@code bind(0)} comes from the
 * kernel's ephemeral range, which the kernel also hands out to later {@code bind(0)} calls and to
 * the source ports of outgoing connections, so it can be taken in between: in CI a node's metrics
 * server (port 0) got the client port chosen for that same node, and the node failed to start.
 * Ports here come from below that range (Linux's default is 32768-60999), at random, are checked
 * free, and are never handed out twice by one JVM.
 */
public final class LoopbackPorts {
  private static final int LOW = 10_000;
  private static final int HIGH = 32_000;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private LoopbackPorts() {}

  /** A loopback port nothing listens on now, outside the kernel's ephemeral range. */
  public static int free() {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOW, HIGH);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException inUse) {
        // taken by something else: try another
      }
    }
    throw new IllegalStateException("no free loopback port in [" + LOW + ", " + HIGH + ")");
  }
}
