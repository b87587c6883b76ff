package io.cleave.testing;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.api.v1.GetRequest;
import io.cleave.api.v1.GetResponse;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.ReadConsistency;
import io.cleave.client.CleaveClient;
import io.cleave.internal.v1.DescribeReplicasRequest;
import io.cleave.internal.v1.HostedReplica;
import io.cleave.internal.v1.NodeHeartbeat;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.cleave.server.raft.ShardGroups;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster of nodes on loopback, each its own JVM ({@code io.cleave.server.KvServerMain}), for
 * tests that need real process faults: {@link #kill} is SIGKILL, so nothing un-synced survives and
 * no shutdown hook runs; {@link #pause} is SIGSTOP, so the node keeps its sockets open but answers
 * nothing, the way a long GC pause or a stalled VM looks to its peers.
 *
 * <p>Ports are picked by the OS, data and node logs ({@code n1.log}, appended across restarts) live
 * in one temporary directory that {@link #close()} deletes. Close it with try-with-resources or in
 * {@code @AfterAll}; a JVM shutdown hook kills the nodes too if the test JVM exits without closing,
 * so no node outlives its test run (a SIGKILL of the test JVM itself is the exception).
 *
 * <pre>{@code
 * try (ProcessCluster cluster = ProcessCluster.start(3)) {
 *   CleaveClient client = cluster.client();
 *   cluster.kill(0);
 *   cluster.restart(0);
 *   cluster.awaitReady();
 * }
 * }</pre>
 *
 * <p>Not thread-safe for concurrent fault injection: drive faults from one thread (the nemesis);
 * clients may run on any threads.
 */
public final class ProcessCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessCluster.class);

  private final Path root;
  private final Options options;
  private final Launcher launcher;
  private final List<Node> nodes = new ArrayList<>();
  private final List<CleaveClient> clients = new ArrayList<>();
  private final Thread shutdownHook;
  private boolean closed;

  /** How the nodes are started. Immutable; change with the {@code with*} methods. */
  public record Options(
      Duration electionTimeout, long snapshotThreshold, String maxHeap, List<String> jvmArgs) {
    /** 1 s election timeout (suits 2 cores), the server's default snapshot threshold, 256 MiB. */
    public static Options defaults() {
      return new Options(Duration.ofSeconds(1), 10_000, "256m", List.of());
    }

    public Options withElectionTimeout(Duration timeout) {
      return new Options(timeout, snapshotThreshold, maxHeap, jvmArgs);
    }

    public Options withSnapshotThreshold(long entries) {
      return new Options(electionTimeout, entries, maxHeap, jvmArgs);
    }

    public Options withJvmArgs(List<String> args) {
      return new Options(electionTimeout, snapshotThreshold, maxHeap, List.copyOf(args));
    }
  }

  /**
   * Where and how each node's process runs. The default ({@link #LOOPBACK}) binds every node to
   * 127.0.0.1 and starts {@code java} directly; {@link NetnsNetwork} puts each node into its own
   * network namespace, {@link ClockSkew} gives a node a faked clock.
   */
  public interface Launcher {
    /** The address node {@code index} binds and advertises ({@code --host}). */
    default String host(int index) {
      return "127.0.0.1";
    }

    /**
     * The command line that runs node {@code index}, given its {@code java ...} command; it must
     * exec the JVM (as {@code ip netns exec} does) so that the process's pid is the JVM's.
     */
    default List<String> command(int index, List<String> javaCommand) {
      return javaCommand;
    }

    /** Extra environment variables of node {@code index}'s process. */
    default Map<String, String> environment(int index) {
      return Map.of();
    }
  }

  /** Every node on 127.0.0.1, started directly. */
  public static final Launcher LOOPBACK = new Launcher() {};

  /** One node: fixed identity, ports and directories; a process while it runs. */
  private static final class Node {
    final String id;
    final String host;
    final int raftPort;
    final int clientPort;
    final Path dataDir;
    final Path logFile;
    Process process;
    boolean paused;

    Node(String id, String host, int raftPort, int clientPort, Path dataDir, Path logFile) {
      this.id = id;
      this.host = host;
      this.raftPort = raftPort;
      this.clientPort = clientPort;
      this.dataDir = dataDir;
      this.logFile = logFile;
    }

    String clientAddress() {
      return host + ":" + clientPort;
    }

    boolean running() {
      return process != null && process.isAlive();
    }
  }

  private ProcessCluster(Path root, int size, Options options, Launcher launcher) {
    this.root = root;
    this.options = options;
    this.launcher = launcher;
    for (int i = 0; i < size; i++) {
      String id = "n" + (i + 1);
      nodes.add(
          new Node(
              id,
              launcher.host(i),
              LoopbackPorts.free(),
              LoopbackPorts.free(),
              root.resolve(id),
              root.resolve(id + ".log")));
    }
    this.shutdownHook =
        new Thread(
            () -> {
              killAll();
              deleteRoot();
            },
            "process-cluster-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts {@code size} node processes with the default options and waits until all are ready. */
  public static ProcessCluster start(int size) {
    return start(size, Options.defaults());
  }

  /** Starts {@code size} node processes and waits until {@link #awaitReady()} holds. */
  public static ProcessCluster start(int size, Options options) {
    return start(size, options, LOOPBACK);
  }

  /**
   * Starts {@code size} node processes the way {@code launcher} says (addresses, command wrapper,
   * environment) and waits until {@link #awaitReady()} holds. The launcher's resources (network
   * namespaces) stay the caller's to clean up, after this cluster is closed.
   */
  public static ProcessCluster start(int size, Options options, Launcher launcher) {
    ProcessCluster cluster;
    try {
      cluster =
          new ProcessCluster(Files.createTempDirectory("cleave-proc"), size, options, launcher);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      cluster.writeLogbackConfig();
      for (int i = 0; i < size; i++) {
        cluster.launch(i);
      }
      cluster.awaitReady();
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  private Path logbackConfig() {
    return root.resolve("logback-node.xml");
  }

  // The nodes' stdout goes to their log file; this config keeps Ratis quiet but leaves its
  // warnings (elections, log truncation), which are what one reads after a failed chaos run.
  private void writeLogbackConfig() {
    String xml =
        """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n</pattern></encoder>
          </appender>
          <logger name="org.apache.ratis" level="WARN"/>
          <logger name="org.apache.ratis.client.impl.OrderedAsync" level="OFF"/>
          <logger name="io.cleave" level="INFO"/>
          <root level="WARN"><appender-ref ref="OUT"/></root>
        </configuration>
        """;
    try {
      Files.writeString(logbackConfig(), xml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void launch(int index) {
    Node node = nodes.get(index);
    String initialCluster =
        nodes.stream()
            .map(n -> n.id + "=" + n.host + ":" + n.raftPort + ":" + n.clientPort)
            .collect(Collectors.joining(","));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + options.maxHeap());
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Dlogback.configurationFile=" + logbackConfig());
    command.add("-Dcleave.test.node=" + node.id); // names the process in ps output
    command.addAll(options.jvmArgs());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.cleave.server.KvServerMain");
    command.addAll(
        List.of(
            "--node-id",
            node.id,
            "--host",
            node.host,
            "--raft-port",
            String.valueOf(node.raftPort),
            "--client-port",
            String.valueOf(node.clientPort),
            "--initial-cluster",
            initialCluster,
            "--data-dir",
            node.dataDir.toString(),
            "--election-timeout-ms",
            String.valueOf(options.electionTimeout().toMillis()),
            "--snapshot-threshold",
            String.valueOf(options.snapshotThreshold()),
            // Several nodes share this host: let each pick a free metrics port.
            "--metrics-port",
            "0"));
    try {
      Files.writeString(
          node.logFile,
          "==== " + java.time.Instant.now() + " starting " + node.id + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      ProcessBuilder builder = new ProcessBuilder(launcher.command(index, command));
      builder.environment().putAll(launcher.environment(index));
      node.process =
          builder
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile.toFile()))
              .start();
      node.paused = false;
      LOG.info("started {} pid {} (client port {})", node.id, node.process.pid(), node.clientPort);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + node.id, e);
    }
  }

  /** Number of nodes, running or not. */
  public int size() {
    return nodes.size();
  }

  /** The node id of node {@code index} ({@code n1} for index 0). */
  public String nodeId(int index) {
    return nodes.get(index).id;
  }

  /** Index of the node with {@code nodeId}, or -1. */
  public int indexOf(String nodeId) {
    return IntStream.range(0, nodes.size())
        .filter(i -> nodes.get(i).id.equals(nodeId))
        .findFirst()
        .orElse(-1);
  }

  /** host:port of node {@code index}'s client endpoint. */
  public String endpoint(int index) {
    return nodes.get(index).clientAddress();
  }

  /** Client endpoints of every node, running or not. */
  public List<String> endpoints() {
    return nodes.stream().map(Node::clientAddress).toList();
  }

  /** Whether node {@code index}'s process is alive (a paused one is). */
  public boolean isRunning(int index) {
    return nodes.get(index).running();
  }

  /** Whether node {@code index} is stopped with SIGSTOP. */
  public boolean isPaused(int index) {
    return nodes.get(index).paused;
  }

  /** The process id of node {@code index}; the node must be running. */
  public long pid(int index) {
    Node node = nodes.get(index);
    if (!node.running()) {
      throw new IllegalStateException(node.id + " is not running");
    }
    return node.process.pid();
  }

  /** The temporary directory with every node's data and log. */
  public Path root() {
    return root;
  }

  /** Node {@code index}'s log file (stdout and stderr of all its runs). */
  public Path logFile(int index) {
    return nodes.get(index).logFile;
  }

  /** Node {@code index}'s data directory. */
  public Path dataDir(int index) {
    return nodes.get(index).dataDir;
  }

  /** A new client on every node's endpoint with a 10 s default timeout; closed with the cluster. */
  public CleaveClient client() {
    return client(b -> b);
  }

  /** A new client on every node's endpoint, adjusted by {@code customize}; closed with us. */
  public synchronized CleaveClient client(UnaryOperator<CleaveClient.Builder> customize) {
    CleaveClient client =
        customize
            .apply(
                CleaveClient.builder()
                    .endpoints(endpoints())
                    .defaultTimeout(Duration.ofSeconds(10)))
            .build();
    clients.add(client);
    return client;
  }

  /** SIGKILL node {@code index} and wait until the process is gone. Its data stays. */
  public void kill(int index) {
    Node node = nodes.get(index);
    if (node.process == null) {
      return;
    }
    node.process.destroyForcibly();
    waitForExit(node);
    LOG.info("killed {} (SIGKILL)", node.id);
  }

  private static void waitForExit(Node node) {
    try {
      if (!node.process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(node.id + " did not die within 30 s of SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing " + node.id, e);
    }
    node.paused = false;
  }

  /** SIGSTOP node {@code index}: it keeps its sockets but runs nothing until {@link #resume}. */
  public void pause(int index) {
    signal(index, "STOP");
    nodes.get(index).paused = true;
    LOG.info("paused {} (SIGSTOP)", nodes.get(index).id);
  }

  /** SIGCONT node {@code index} after {@link #pause}. */
  public void resume(int index) {
    signal(index, "CONT");
    nodes.get(index).paused = false;
    LOG.info("resumed {} (SIGCONT)", nodes.get(index).id);
  }

  private void signal(int index, String signal) {
    long pid = pid(index);
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + pid, e);
    }
  }

  /**
   * Starts node {@code index} again on the same ports and data directory, killing it first if it
   * still runs. Does not wait: call {@link #awaitReady()} when the test needs it serving.
   */
  public void restart(int index) {
    Node node = nodes.get(index);
    if (node.running()) {
      kill(index);
    }
    launch(index);
  }

  /**
   * Waits (up to 90 s) until every running node answers on its own client port and the meta leader,
   * asked through each of them, sees every running node alive. Fails early, with the tail of its
   * log, if a node process exits on its own.
   */
  public void awaitReady() {
    awaitReady(Duration.ofSeconds(90));
  }

  /** {@link #awaitReady()} with another time limit. */
  public void awaitReady(Duration atMost) {
    List<Integer> running = runningIndices();
    // What each node answered last, so a timeout says which node saw what.
    Map<Integer, String> lastSeen = new java.util.concurrent.ConcurrentHashMap<>();
    try {
      Awaitility.await("cluster ready (" + running.size() + " nodes)")
          .atMost(atMost)
          .pollInterval(Duration.ofMillis(250))
          .until(() -> everyNodeSeesEveryRunningNodeAlive(running, lastSeen));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "cluster of "
              + running.size()
              + " nodes not ready within "
              + atMost
              + "; last answers: "
              + lastSeen,
          e);
    }
  }

  private boolean everyNodeSeesEveryRunningNodeAlive(
      List<Integer> running, Map<Integer, String> lastSeen) {
    boolean ready = true;
    for (int i : running) {
      requireNotExited(i);
      String via = nodes.get(i).id;
      ClusterStatusResponse status;
      try {
        status = clusterStatusVia(i);
      } catch (RuntimeException e) {
        lastSeen.put(i, via + ": " + e.getMessage());
        ready = false;
        continue;
      }
      List<String> alive = aliveIds(status);
      lastSeen.put(
          i, via + ": alive " + alive + ", meta leader '" + status.getMetaLeaderNodeId() + "'");
      if (status.getMetaLeaderNodeId().isEmpty()
          || !running.stream().allMatch(j -> alive.contains(nodes.get(j).id))) {
        ready = false;
      }
    }
    return ready;
  }

  private void requireNotExited(int index) {
    Node node = nodes.get(index);
    if (node.process != null && !node.process.isAlive()) {
      throw new AssertionError(
          node.id
              + " exited with "
              + node.process.exitValue()
              + "; log tail:\n"
              + tail(node.logFile, 40));
    }
  }

  /** Indices of the nodes whose process runs (paused ones included). */
  public List<Integer> runningIndices() {
    return IntStream.range(0, nodes.size()).filter(this::isRunning).boxed().toList();
  }

  /** The cluster status as node {@code index} reports it (asks only that node). */
  public ClusterStatusResponse clusterStatusVia(int index) {
    try (CleaveClient one =
        CleaveClient.builder()
            .endpoints(List.of(endpoint(index)))
            .defaultTimeout(Duration.ofSeconds(3))
            .build()) {
      return one.blocking().admin().clusterStatus();
    }
  }

  /** Ids of the nodes the map (as node {@code index} reports it) shows alive. */
  public List<String> aliveNodesVia(int index) {
    return aliveIds(clusterStatusVia(index));
  }

  private static List<String> aliveIds(ClusterStatusResponse status) {
    return status.getNodesList().stream()
        .filter(NodeDescriptor::getAlive)
        .map(NodeDescriptor::getNodeId)
        .toList();
  }

  /**
   * The replicas node {@code index} hosts, as its heartbeat reports them: per shard (the meta shard
   * 0 included) whether it leads, whether it is retired, and its applied index.
   */
  public NodeHeartbeat replicasOn(int index) {
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(endpoint(index)).usePlaintext().build();
    try {
      return NodeServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(3, TimeUnit.SECONDS)
          .describeReplicas(DescribeReplicasRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Waits (up to {@code atMost}) until every live replica of every shard has applied at least what
   * its leader had applied when the wait began (the first time a leader was seen for that shard):
   * replicas that were down or cut off have caught up, including the entries a torn log tail lost.
   * Every node must be running; replicas that are retired or gone (a merge) are not waited for.
   *
   * @return how the shards stood when they caught up, for the run's log
   * @throws AssertionError with the replicas still behind when the time runs out
   */
  public String awaitReplicasCaughtUp(Duration atMost) {
    Map<Long, Long> targets = new java.util.TreeMap<>();
    List<String> behind = new ArrayList<>();
    try {
      Awaitility.await("every replica caught up with its leader")
          .atMost(atMost)
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(
              () -> {
                behind.clear();
                List<NodeHeartbeat> reports = new ArrayList<>();
                for (int i = 0; i < nodes.size(); i++) {
                  requireNotExited(i);
                  reports.add(replicasOn(i));
                }
                Set<Long> shards = new java.util.TreeSet<>();
                for (NodeHeartbeat report : reports) {
                  for (HostedReplica r : report.getReplicasList()) {
                    if (r.getRetired()) {
                      continue;
                    }
                    long shard = r.getShard().getShardId();
                    shards.add(shard);
                    if (r.getLeader()) {
                      targets.putIfAbsent(shard, r.getAppliedIndex());
                    }
                  }
                }
                for (long shard : shards) {
                  Long target = targets.get(shard);
                  if (target == null) {
                    behind.add("shard " + shard + ": no leader yet");
                    continue;
                  }
                  for (NodeHeartbeat report : reports) {
                    for (HostedReplica r : report.getReplicasList()) {
                      if (r.getShard().getShardId() == shard
                          && !r.getRetired()
                          && r.getAppliedIndex() < target) {
                        behind.add(
                            "shard "
                                + shard
                                + " on "
                                + report.getNode().getNodeId()
                                + " at "
                                + r.getAppliedIndex()
                                + " < "
                                + target);
                      }
                    }
                  }
                }
                return behind.isEmpty();
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("replicas did not catch up within " + atMost + ": " + behind, e);
    }
    return targets.entrySet().stream()
        .map(t -> t.getKey() + "@" + t.getValue())
        .collect(Collectors.joining(" "));
  }

  /**
   * Reads {@code key} from node {@code index}'s own replica with STALE consistency, bypassing the
   * client's routing (which always goes to the leader): what that replica has applied, no more.
   *
   * @return the value, or empty when the replica has no such key
   * @throws io.grpc.StatusRuntimeException when the node cannot answer (no replica, down)
   */
  public Optional<byte[]> readLocal(int index, String keyspace, byte[] key) {
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(endpoint(index)).usePlaintext().build();
    try {
      GetResponse response =
          KvServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(3, TimeUnit.SECONDS)
              .get(
                  GetRequest.newBuilder()
                      .setKeyspace(keyspace)
                      .setKey(ByteString.copyFrom(key))
                      .setConsistency(ReadConsistency.STALE)
                      .build());
      return response.getFound()
          ? Optional.of(response.getValue().toByteArray())
          : Optional.empty();
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Simulates a crash that tore the tail of node {@code index}'s Raft logs: in every Raft group the
   * node hosts, the open segment ({@code raft/<group>/current/log_inprogress_*}) loses a random
   * part of its last record, and sometimes of the one before (see {@link RaftSegmentTail#tear}).
   * The node must be stopped ({@link #kill}) first.
   *
   * <p>Every group, not one: a power loss hits every file the process was writing, and each group
   * has its own open segment. With one faulty node at a time a majority of every group still holds
   * each committed entry, so the node must repair its tails from its peers.
   *
   * @return what was cut, one entry per segment that had a record to tear
   */
  public List<RaftSegmentTail.Tear> tearRaftLogTails(int index, java.util.Random random) {
    List<RaftSegmentTail.Tear> tears = new ArrayList<>();
    for (Path segment : openRaftSegments(index)) {
      RaftSegmentTail.tear(segment, random)
          .ifPresent(
              tear -> {
                tears.add(tear);
                LOG.info("{}: {}", nodes.get(index).id, tear);
              });
    }
    return tears;
  }

  /**
   * Cuts the last {@code records} whole records off the open Raft log segment of shard {@code
   * shardId}'s group on node {@code index}, which must be killed first: a deterministic tear.
   *
   * @return the tear, or empty when that segment is missing or holds fewer records
   */
  public Optional<RaftSegmentTail.Tear> dropLastRaftLogRecords(
      int index, long shardId, int records) {
    String group = ShardGroups.groupId(shardId).getUuid().toString();
    return openRaftSegments(index).stream()
        .filter(p -> p.getParent().getParent().getFileName().toString().equals(group))
        .findFirst()
        .flatMap(segment -> RaftSegmentTail.dropLastRecords(segment, records));
  }

  /** The open segment ({@code raft/<group>/current/log_inprogress_*}) of every group of a node. */
  private List<Path> openRaftSegments(int index) {
    Node node = nodes.get(index);
    if (node.running()) {
      throw new IllegalStateException(node.id + " must be killed before its log is torn");
    }
    try (Stream<Path> files = Files.walk(node.dataDir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("log_inprogress_"))
          .filter(p -> p.getParent().getFileName().toString().equals("current"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies every node's log into {@code dir} (created), for keeping after a failed run. */
  public void copyLogsTo(Path dir) {
    try {
      Files.createDirectories(dir);
      for (Node node : nodes) {
        if (Files.exists(node.logFile)) {
          Files.copy(
              node.logFile,
              dir.resolve(node.logFile.getFileName()),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last {@code lines} lines of {@code file}, for failure messages. */
  public static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  // Runs from the shutdown hook too, so it must not throw and must not wait long.
  private void killAll() {
    for (Node node : nodes) {
      if (node.process != null && node.process.isAlive()) {
        node.process.destroyForcibly();
      }
    }
    for (Node node : nodes) {
      if (node.process != null) {
        try {
          node.process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Closes the clients, kills every node and deletes the temporary directory. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    clients.forEach(CleaveClient::close);
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or ran.
    }
    deleteRoot();
  }

  private void deleteRoot() {
    if (Boolean.getBoolean("cleave.keepData")) {
      LOG.info("kept {} (-Dcleave.keepData=true)", root);
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete {}", root, e);
    }
  }
}
