package io.cleave.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.client.BlockingAdmin;
import io.cleave.client.CleaveClient;
import io.cleave.client.CleaveException;
import io.cleave.client.KeyspaceOptions;
import io.cleave.server.config.NodeAddress;
import io.grpc.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cleave dev}: a local cluster in this JVM for trying Cleave out. Starts the nodes, waits
 * until every one is registered alive, creates keyspace {@value #DEMO} unless it exists, waits
 * until its shards have leaders, prints the endpoints, then runs until Ctrl-C (or, in tests, an
 * interrupt), stopping the nodes cleanly. The data stays in {@code --data-dir}: running again with
 * the same options brings the same cluster and keys back.
 */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a local cluster on 127.0.0.1 in the foreground, with keyspace 'demo'.",
      "Ctrl-C stops it; the data stays in --data-dir for the next run."
    })
final class DevCommand implements Callable<Integer> {
  static final String DEMO = "demo";
  static final int DEMO_SHARDS = 4;
  private static final Duration STARTUP = Duration.ofSeconds(90);

  @Spec CommandSpec spec;

  @Option(names = "--data-dir", required = true, description = "Where the nodes keep their data.")
  Path dataDir;

  @Option(names = "--nodes", defaultValue = "3", description = "Nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--base-port",
      defaultValue = "7001",
      description = "Client port of n1; n2, n3 take the next ones (default: ${DEFAULT-VALUE}).")
  int basePort;

  @Option(
      names = "--raft-base-port",
      description =
          "Raft port of n1; the next nodes take the next ones (default: base port + 100).")
  Integer raftBasePort;

  @Option(
      names = "--log-level",
      defaultValue = "warn",
      description = "Level of the nodes' log on stderr: error, warn, info, debug.")
  String logLevel;

  /** The node addresses the options describe; validates them. */
  List<NodeAddress> addresses() {
    if (nodes < 1 || nodes > 9) {
      throw new CliException("--nodes must be 1-9, got " + nodes);
    }
    int raft = raftBasePort == null ? basePort + 100 : raftBasePort;
    if (basePort < 1 || raft < 1 || Math.max(basePort, raft) + nodes - 1 > 65535) {
      throw new CliException("ports out of range: --base-port " + basePort + ", raft " + raft);
    }
    if (Math.abs(basePort - raft) < nodes) {
      throw new CliException(
          "client ports and raft ports overlap; choose another --raft-base-port");
    }
    return DevCluster.addresses(nodes, basePort, raft);
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    List<NodeAddress> addresses = addresses();
    ((Logger) LoggerFactory.getLogger("io.cleave")).setLevel(Level.toLevel(logLevel, Level.WARN));
    Path dir = dataDir.toAbsolutePath().normalize();
    boolean restart = Files.isDirectory(dir.resolve(addresses.get(0).nodeId()));
    Files.createDirectories(dir);
    out.printf(
        "cleave dev: %s %d node(s) on %s, data in %s%n",
        restart ? "restarting" : "starting", nodes, DevCluster.HOST, dir);
    out.flush();
    try (DevCluster cluster = DevCluster.start(dir, addresses)) {
      boolean created;
      try (CleaveClient client =
          CleaveClient.builder()
              .endpoints(cluster.endpoints())
              .defaultTimeout(Duration.ofSeconds(5))
              .build()) {
        BlockingAdmin admin = client.blocking().admin();
        Poll.until(STARTUP, "every node to register", () -> allAlive(admin.clusterStatus()));
        created = Poll.until(STARTUP, "keyspace '" + DEMO + "'", () -> ensureDemo(admin));
        Poll.until(
            STARTUP,
            "leaders of the shards of '" + DEMO + "'",
            () -> allLed(admin.describeKeyspace(DEMO)));
      }
      printReady(out, cluster, dir, created);
      Thread hook =
          new Thread(
              () -> {
                cluster.close();
                out.println("cleave dev: stopped; the data stays in " + dir);
                out.flush();
              },
              "cleave-dev-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        new CountDownLatch(1).await(); // until Ctrl-C runs the hook, or an interrupt
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // Ctrl-C: the hook is closing the nodes.
        }
      }
      cluster.close();
      out.println("cleave dev: stopped; the data stays in " + dir);
      out.flush();
    }
    return 0;
  }

  private Optional<Boolean> allAlive(ClusterStatusResponse status) {
    long alive = status.getNodesList().stream().filter(NodeDescriptor::getAlive).count();
    return alive == nodes ? Optional.of(true) : Optional.empty();
  }

  /** Creates the demo keyspace; answers whether it was created now (false: it already existed). */
  private static Optional<Boolean> ensureDemo(BlockingAdmin admin) {
    if (admin.listKeyspaces().stream().anyMatch(k -> k.getName().equals(DEMO))) {
      return Optional.of(false);
    }
    try {
      admin.registerKeyspace(DEMO, KeyspaceOptions.builder().initialShards(DEMO_SHARDS).build());
      return Optional.of(true);
    } catch (CleaveException e) {
      if (e.code() == Status.Code.ALREADY_EXISTS) {
        return Optional.of(false); // an earlier attempt of ours went through after all
      }
      throw e;
    }
  }

  private static Optional<Boolean> allLed(DescribeKeyspaceResponse keyspace) {
    boolean led =
        keyspace.getShardsCount() > 0
            && keyspace.getShardsList().stream()
                .allMatch(s -> !s.getShard().getLeaderNodeId().isEmpty());
    return led ? Optional.of(true) : Optional.empty();
  }

  private void printReady(PrintWriter out, DevCluster cluster, Path dir, boolean created) {
    for (NodeAddress a : cluster.addresses()) {
      out.printf(
          "  %s  client %s  raft %s  data %s%n",
          a.nodeId(), a.clientAddress(), a.raftAddress(), dir.resolve(a.nodeId()));
    }
    out.println(
        created
            ? "keyspace '" + DEMO + "' created (bytes, hash, " + DEMO_SHARDS + " shards)"
            : "keyspace '" + DEMO + "' already exists; its data is kept");
    String endpoints = String.join(",", cluster.endpoints());
    String program = Optional.ofNullable(System.getenv("CLEAVE_PROGRAM")).orElse("cleave");
    String command =
        endpoints.equals(CleaveCli.DEFAULT_ENDPOINTS)
            ? program
            : program + " --endpoints " + endpoints;
    out.println("endpoints: " + endpoints);
    out.println("ready. In another terminal, try:");
    out.println("  " + command + " put demo hello world");
    out.println("  " + command + " get demo hello");
    out.println("  " + command + " keyspace describe demo");
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }
}
