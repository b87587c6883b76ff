package io.cleave.cli;

import io.cleave.server.KvServer;
import io.cleave.server.config.NodeAddress;
import io.cleave.server.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

/**
 * The nodes of {@code cleave dev}, in this JVM: node {@code n<i>} on client port {@code basePort +
 * i - 1} and raft port {@code raftBasePort + i - 1} of 127.0.0.1, data in {@code dataDir/n<i>}. The
 * same arguments on the same directory bring the same cluster back with its data.
 */
final class DevCluster implements AutoCloseable {
  static final String HOST = "127.0.0.1";

  private final List<NodeAddress> addresses;
  private final List<KvServer> servers = new ArrayList<>();
  private boolean closed;

  private DevCluster(List<NodeAddress> addresses) {
    this.addresses = addresses;
  }

  /** The addresses of {@code nodes} dev nodes; pure, so the port layout is unit-tested. */
  static List<NodeAddress> addresses(int nodes, int basePort, int raftBasePort) {
    return IntStream.range(0, nodes)
        .mapToObj(i -> new NodeAddress("n" + (i + 1), HOST, raftBasePort + i, basePort + i))
        .toList();
  }

  /** Starts every node; if one cannot start, stops those already started and rethrows. */
  static DevCluster start(Path dataDir, List<NodeAddress> addresses) throws IOException {
    DevCluster cluster = new DevCluster(addresses);
    // The meta shard needs a majority of 3; with 1 or 2 nodes it runs on the first node alone.
    int metaReplicas = addresses.size() >= 3 ? 3 : 1;
    try {
      for (NodeAddress self : addresses) {
        NodeConfig d = NodeConfig.defaults(self, addresses, dataDir.resolve(self.nodeId()));
        NodeConfig config =
            new NodeConfig(
                self,
                addresses,
                d.dataDir(),
                d.pluginDir(),
                d.maxValueBytes(),
                d.electionTimeoutMin(),
                d.snapshotThreshold(),
                d.logPreservedEntries(),
                d.heartbeatInterval(),
                d.blockCacheBytes(),
                metaReplicas);
        try {
          cluster.servers.add(KvServer.start(config));
        } catch (IOException | RuntimeException e) {
          throw new IOException(
              "cannot start node "
                  + self.nodeId()
                  + " (client "
                  + self.clientAddress()
                  + ", raft "
                  + self.raftAddress()
                  + "): "
                  + rootMessage(e),
              e);
        }
      }
      return cluster;
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  List<NodeAddress> addresses() {
    return addresses;
  }

  /** The client addresses, {@code host:port}, in node order. */
  List<String> endpoints() {
    return addresses.stream().map(NodeAddress::clientAddress).toList();
  }

  /** Stops every node, keeping the data; safe to call twice and from a shutdown hook. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // In parallel: closed one by one, the last nodes spend the wait electing leaders for shards
    // whose other replicas are already gone.
    CompletableFuture.allOf(
            servers.stream()
                .map(s -> CompletableFuture.runAsync(s::close, DevCluster::closer))
                .toArray(CompletableFuture[]::new))
        .join();
  }

  private static void closer(Runnable task) {
    new Thread(task, "cleave-dev-close").start();
  }
}
