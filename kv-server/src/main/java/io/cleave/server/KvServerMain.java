package io.cleave.server;

import io.cleave.server.config.NodeAddress;
import io.cleave.server.config.NodeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cleave-server}: runs one node. Every option can also come from the environment ({@code
 * CLEAVE_NODE_ID}, ...) or a properties file ({@code --config}); the defaults are in
 * docs/configuration.md.
 */
@Command(
    name = "cleave-server",
    mixinStandardHelpOptions = true,
    description = "Runs one Cleave node.",
    defaultValueProvider = CommandLine.PropertiesDefaultProvider.class)
public final class KvServerMain implements Callable<Integer> {
  @Option(
      names = "--node-id",
      defaultValue = "${env:CLEAVE_NODE_ID:-n1}",
      description = "This node's id (default: ${DEFAULT-VALUE}).")
  String nodeId;

  @Option(
      names = "--host",
      defaultValue = "${env:CLEAVE_HOST:-127.0.0.1}",
      description =
          "Address to advertise to other nodes and clients, and to listen on unless --listen-host is set (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--listen-host",
      defaultValue = "${env:CLEAVE_LISTEN_HOST:-}",
      description =
          "Address to listen on, e.g. 0.0.0.0 for every interface (default: the --host address).")
  String listenHost;

  @Option(
      names = "--raft-port",
      defaultValue = "${env:CLEAVE_RAFT_PORT:-7101}",
      description = "Raft port (default: ${DEFAULT-VALUE}).")
  int raftPort;

  @Option(
      names = "--client-port",
      defaultValue = "${env:CLEAVE_CLIENT_PORT:-7001}",
      description = "Client gRPC port (default: ${DEFAULT-VALUE}).")
  int clientPort;

  @Option(
      names = "--initial-cluster",
      defaultValue = "${env:CLEAVE_INITIAL_CLUSTER:-}",
      description =
          "Comma-separated id=host:raftPort:clientPort of the bootstrap nodes; the first 3 hold the meta shard. Default: this node alone.")
  String initialCluster;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:CLEAVE_DATA_DIR:-data}",
      description = "Data directory (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--plugin-dir",
      defaultValue = "${env:CLEAVE_PLUGIN_DIR:-}",
      description = "Directory of jars with user ValuePerKey types.")
  String pluginDir;

  @Option(
      names = "--max-value-bytes",
      defaultValue = "${env:CLEAVE_MAX_VALUE_BYTES:-1048576}",
      description = "Largest value or command argument (default: ${DEFAULT-VALUE}).")
  int maxValueBytes;

  @Option(
      names = "--election-timeout-ms",
      defaultValue = "${env:CLEAVE_ELECTION_TIMEOUT_MS:-1000}",
      description = "Raft election timeout lower bound (default: ${DEFAULT-VALUE}).")
  long electionTimeoutMs;

  @Option(
      names = "--snapshot-threshold",
      defaultValue = "${env:CLEAVE_SNAPSHOT_THRESHOLD:-10000}",
      description = "Log entries between snapshots of a shard (default: ${DEFAULT-VALUE}).")
  long snapshotThreshold;

  @Option(
      names = "--metrics-port",
      defaultValue = "${env:CLEAVE_METRICS_PORT:-9101}",
      description =
          "Port of the Prometheus endpoint GET /metrics; -1 disables it (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  static {
    JvmSettings.apply();
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new KvServerMain()).execute(args));
  }

  /** Builds the validated configuration from the parsed options. */
  NodeConfig config() {
    NodeAddress self = new NodeAddress(nodeId, host, raftPort, clientPort);
    List<NodeAddress> cluster =
        initialCluster.isBlank()
            ? List.of(self)
            : Arrays.stream(initialCluster.split(",")).map(NodeAddress::parse).toList();
    NodeConfig defaults = NodeConfig.defaults(self, cluster, dataDir);
    return new NodeConfig(
        self,
        cluster,
        dataDir,
        pluginDir.isBlank() ? Optional.empty() : Optional.of(Path.of(pluginDir)),
        maxValueBytes,
        Duration.ofMillis(electionTimeoutMs),
        snapshotThreshold,
        defaults.logPreservedEntries(),
        defaults.heartbeatInterval(),
        defaults.blockCacheBytes(),
        Math.min(3, cluster.size()) == 2 ? 1 : Math.min(3, cluster.size()),
        defaults.logSegmentBytes(),
        metricsPort,
        listenHost);
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig config = config();
    System.err.println("cleave-server starting with " + config);
    KvServer server = KvServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                }));
    stopped.await();
    return 0;
  }
}
