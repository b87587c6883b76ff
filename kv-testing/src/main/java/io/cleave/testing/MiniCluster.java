package io.cleave.testing;

import io.cleave.client.CleaveClient;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.server.KvServer;
import io.cleave.server.config.NodeAddress;
import io.cleave.server.config.NodeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * An in-process cluster of nodes on loopback, for integration tests. One per test class; close it
 * with try-with-resources or in {@code @AfterAll}. Nodes can be stopped and restarted on the same
 * ports and data directory.
 */
public final class MiniCluster implements AutoCloseable {
  private final Path root;
  private final List<NodeConfig> configs = new ArrayList<>();
  private final List<KvServer> servers = new ArrayList<>();
  private final List<CleaveClient> clients = new ArrayList<>();

  private MiniCluster(Path root, int size, UnaryOperator<NodeConfig> customize) {
    this.root = root;
    List<NodeAddress> addresses = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      addresses.add(
          new NodeAddress("n" + (i + 1), "127.0.0.1", LoopbackPorts.free(), LoopbackPorts.free()));
    }
    for (NodeAddress address : addresses) {
      NodeConfig defaults = NodeConfig.defaults(address, addresses, root.resolve(address.nodeId()));
      NodeConfig testing =
          new NodeConfig(
              address,
              addresses,
              defaults.dataDir(),
              Optional.empty(),
              defaults.maxValueBytes(),
              Duration.ofSeconds(1),
              defaults.snapshotThreshold(),
              defaults.logPreservedEntries(),
              Duration.ofMillis(200),
              16L * 1024 * 1024,
              Math.min(3, size) == 2 ? 1 : Math.min(3, size),
              defaults.logSegmentBytes());
      configs.add(customize.apply(testing));
      servers.add(null);
    }
  }

  /** Starts {@code size} nodes and waits until each is registered alive in the cluster map. */
  public static MiniCluster start(int size) {
    return start(size, c -> c);
  }

  /** Like {@link #start(int)}, with each node's configuration adjusted by {@code customize}. */
  public static MiniCluster start(int size, UnaryOperator<NodeConfig> customize) {
    try {
      MiniCluster cluster =
          new MiniCluster(Files.createTempDirectory("cleave-mini"), size, customize);
      for (int i = 0; i < size; i++) {
        cluster.startNode(i);
      }
      cluster.awaitNodesAlive();
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int size() {
    return configs.size();
  }

  public KvServer server(int index) {
    return servers.get(index);
  }

  public NodeConfig config(int index) {
    return configs.get(index);
  }

  /** Client addresses of every node, running or not. */
  public List<String> endpoints() {
    return configs.stream().map(c -> c.self().clientAddress()).toList();
  }

  /** A new client on every node's endpoint; closed with the cluster. */
  public CleaveClient client() {
    return client(b -> b);
  }

  public CleaveClient client(UnaryOperator<CleaveClient.Builder> customize) {
    CleaveClient client =
        customize
            .apply(
                CleaveClient.builder()
                    .endpoints(endpoints())
                    .defaultTimeout(Duration.ofSeconds(20))
                    // Elections take a few seconds on 2 cores: let the deadline bound retries.
                    .maxRetries(1000))
            .build();
    clients.add(client);
    return client;
  }

  /** Starts (or restarts) node {@code index} on its ports and data directory. */
  public void startNode(int index) {
    // A node restarted in this JVM binds the ports its previous incarnation just closed; should one
    // not be free yet, the failed start has released everything it took, so starting again is safe.
    // Any other failure is the test's to see at once.
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .ignoreException(PortTakenException.class)
        .until(() -> tryStart(index));
  }

  private boolean tryStart(int index) {
    try {
      servers.set(index, KvServer.start(configs.get(index)));
      return true;
    } catch (IOException e) {
      // Netty's native transport reports it as its own exception, not a BindException.
      for (Throwable cause = e; cause != null; cause = cause.getCause()) {
        if (cause instanceof java.net.BindException
            || String.valueOf(cause.getMessage()).contains("Address already in use")) {
          throw new PortTakenException(e);
        }
      }
      throw new UncheckedIOException(e);
    }
  }

  private static final class PortTakenException extends RuntimeException {
    PortTakenException(IOException cause) {
      super(cause);
    }
  }

  /** Stops node {@code index}; its data stays for a restart. */
  public void stopNode(int index) {
    KvServer server = servers.get(index);
    if (server != null) {
      server.close();
      servers.set(index, null);
    }
  }

  public void restartNode(int index) {
    stopNode(index);
    startNode(index);
  }

  /** Index of the node whose replica leads {@code shardId}, or -1. */
  public int leaderOf(long shardId) {
    for (int i = 0; i < servers.size(); i++) {
      KvServer server = servers.get(i);
      if (server != null && server.node().isLeader(shardId)) {
        return i;
      }
    }
    return -1;
  }

  /** The last log index applied by a running node's replica of {@code shardId}. */
  public long appliedIndex(int node, long shardId) {
    return servers.get(node).node().division(shardId).orElseThrow().getInfo().getLastAppliedIndex();
  }

  /** What a running node's own replica of {@code shardId} answers, without Raft or routing. */
  public List<KeyResult> answerLocally(int node, long shardId, ShardQuery query) {
    try {
      return servers
          .get(node)
          .node()
          .localReplica(shardId)
          .orElseThrow()
          .answer(query)
          .getResults()
          .getResultsList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until the meta leader sees every running node alive, every shard in the cluster map has a
   * leader on a running node (after a restart the map still says "alive" from before, so the
   * leaders are what shows the cluster serves again), and every running node can read the map (a
   * restarted node may not know the meta leader yet, and a client talking to it alone would fail).
   */
  public void awaitNodesAlive() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              KvServer any = servers.stream().filter(s -> s != null).findFirst().orElseThrow();
              var map = any.node().readMap().get();
              long alive = map.getNodesList().stream().filter(n -> n.getAlive()).count();
              if (alive != servers.stream().filter(s -> s != null).count()
                  || !map.getShardsList().stream().allMatch(s -> leaderOf(s.getShardId()) >= 0)) {
                return false;
              }
              for (KvServer server : servers) {
                if (server != null) {
                  server.node().readMap().get(5, java.util.concurrent.TimeUnit.SECONDS);
                }
              }
              return true;
            });
  }

  @Override
  public void close() {
    clients.forEach(CleaveClient::close);
    // Stop the nodes in parallel: each waits for its Raft groups to close.
    List<Thread> stopping = new ArrayList<>();
    for (int i = 0; i < servers.size(); i++) {
      int index = i;
      Thread t = new Thread(() -> stopNode(index), "stop-n" + (i + 1));
      t.start();
      stopping.add(t);
    }
    for (Thread t : stopping) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: the directory is under the system temp directory.
    }
  }
}
