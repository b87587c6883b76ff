package io.cleave.server.config;

import io.cleave.api.Limits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything a node is configured with. Defaults are documented in {@code docs/configuration.md}
 * and logged at start.
 *
 * @param self this node's id and listen addresses
 * @param initialCluster the nodes that bootstrap the cluster; the first {@code metaReplicas} of
 *     them hold the meta shard. Every node needs the list to find the meta shard.
 * @param dataDir RocksDB and Raft logs live under it
 * @param pluginDir jars with user {@code ValuePerKey} types, if any
 * @param maxValueBytes largest value or command argument accepted
 * @param electionTimeoutMin Raft election timeout lower bound; 1 s suits a 2-core machine
 * @param snapshotThreshold log entries between automatic snapshots of a shard
 * @param logPreservedEntries entries kept behind a snapshot for slow followers
 * @param heartbeatInterval how often the node reports to the meta leader
 * @param blockCacheBytes RocksDB block cache shared by all shards of the node
 * @param metaReplicas replicas of the meta shard (3 or 5; fewer nodes means fewer)
 * @param logSegmentBytes size of a Raft log segment; the log is purged a whole closed segment at a
 *     time
 * @param metricsPort port of the Prometheus endpoint; -1 for none, 0 for any free port
 * @param listenHost the address the node's servers bind to (Raft, client gRPC, metrics); null or
 *     blank binds to {@code self.host()}, the address it advertises. {@code 0.0.0.0} serves every
 *     interface, e.g. in a pod, so that {@code kubectl port-forward} (which connects to the pod's
 *     loopback) reaches it.
 */
public record NodeConfig(
    NodeAddress self,
    List<NodeAddress> initialCluster,
    Path dataDir,
    Optional<Path> pluginDir,
    int maxValueBytes,
    Duration electionTimeoutMin,
    long snapshotThreshold,
    long logPreservedEntries,
    Duration heartbeatInterval,
    long blockCacheBytes,
    int metaReplicas,
    long logSegmentBytes,
    int metricsPort,
    String listenHost) {

  public NodeConfig {
    if (maxValueBytes <= 0 || maxValueBytes > 64 * 1024 * 1024) {
      throw new IllegalArgumentException("max value bytes must be 1 B - 64 MiB: " + maxValueBytes);
    }
    if (electionTimeoutMin.toMillis() < 100) {
      throw new IllegalArgumentException("election timeout below 100 ms: " + electionTimeoutMin);
    }
    if (snapshotThreshold < 1) {
      throw new IllegalArgumentException("snapshot threshold must be positive");
    }
    if (metaReplicas != 1 && metaReplicas != 3 && metaReplicas != 5) {
      throw new IllegalArgumentException("meta replicas must be 1, 3 or 5: " + metaReplicas);
    }
    if (initialCluster.stream().map(NodeAddress::nodeId).distinct().count()
        != initialCluster.size()) {
      throw new IllegalArgumentException("duplicate node id in the initial cluster");
    }
    if (logSegmentBytes < 16 * 1024) {
      throw new IllegalArgumentException("log segments below 16 KiB: " + logSegmentBytes);
    }
    initialCluster = List.copyOf(initialCluster);
    listenHost = listenHost == null || listenHost.isBlank() ? self.host() : listenHost;
  }

  /** The configuration with the default log segment size (8 MiB). */
  public NodeConfig(
      NodeAddress self,
      List<NodeAddress> initialCluster,
      Path dataDir,
      Optional<Path> pluginDir,
      int maxValueBytes,
      Duration electionTimeoutMin,
      long snapshotThreshold,
      long logPreservedEntries,
      Duration heartbeatInterval,
      long blockCacheBytes,
      int metaReplicas) {
    this(
        self,
        initialCluster,
        dataDir,
        pluginDir,
        maxValueBytes,
        electionTimeoutMin,
        snapshotThreshold,
        logPreservedEntries,
        heartbeatInterval,
        blockCacheBytes,
        metaReplicas,
        8L * 1024 * 1024,
        -1,
        null);
  }

  /** The configuration without a metrics endpoint. */
  public NodeConfig(
      NodeAddress self,
      List<NodeAddress> initialCluster,
      Path dataDir,
      Optional<Path> pluginDir,
      int maxValueBytes,
      Duration electionTimeoutMin,
      long snapshotThreshold,
      long logPreservedEntries,
      Duration heartbeatInterval,
      long blockCacheBytes,
      int metaReplicas,
      long logSegmentBytes) {
    this(
        self,
        initialCluster,
        dataDir,
        pluginDir,
        maxValueBytes,
        electionTimeoutMin,
        snapshotThreshold,
        logPreservedEntries,
        heartbeatInterval,
        blockCacheBytes,
        metaReplicas,
        logSegmentBytes,
        -1,
        null);
  }

  /** A configuration with the documented defaults. */
  public static NodeConfig defaults(
      NodeAddress self, List<NodeAddress> initialCluster, Path dataDir) {
    return new NodeConfig(
        self,
        initialCluster,
        dataDir,
        Optional.empty(),
        Limits.DEFAULT_MAX_VALUE_BYTES,
        Duration.ofSeconds(1),
        10_000,
        1_000,
        Duration.ofMillis(500),
        64L * 1024 * 1024,
        3,
        8L * 1024 * 1024,
        -1,
        null);
  }

  /** The nodes that hold the meta shard: the first ones of the initial cluster. */
  public List<NodeAddress> metaMembers() {
    return initialCluster.subList(0, Math.min(metaReplicas, initialCluster.size()));
  }

  /** A copy with other settings; every setter of the builder is validated on build. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  public NodeConfig withLogSegmentBytes(long bytes) {
    return toBuilder().logSegmentBytes(bytes).build();
  }

  public NodeConfig withMetricsPort(int port) {
    return toBuilder().metricsPort(port).build();
  }

  public NodeConfig withSnapshotThreshold(long threshold, long preserved) {
    return toBuilder().snapshotThreshold(threshold).logPreservedEntries(preserved).build();
  }

  public NodeConfig withPluginDir(Optional<Path> dir) {
    return toBuilder().pluginDir(dir).build();
  }

  public NodeConfig withMaxValueBytes(int bytes) {
    return toBuilder().maxValueBytes(bytes).build();
  }

  /** Changes some settings of a configuration; {@link #build()} validates the result. */
  public static final class Builder {
    private NodeAddress self;
    private List<NodeAddress> initialCluster;
    private Path dataDir;
    private Optional<Path> pluginDir;
    private int maxValueBytes;
    private Duration electionTimeoutMin;
    private long snapshotThreshold;
    private long logPreservedEntries;
    private Duration heartbeatInterval;
    private long blockCacheBytes;
    private int metaReplicas;
    private long logSegmentBytes;
    private int metricsPort;
    private String listenHost;

    private Builder(NodeConfig c) {
      self = c.self;
      initialCluster = c.initialCluster;
      dataDir = c.dataDir;
      pluginDir = c.pluginDir;
      maxValueBytes = c.maxValueBytes;
      electionTimeoutMin = c.electionTimeoutMin;
      snapshotThreshold = c.snapshotThreshold;
      logPreservedEntries = c.logPreservedEntries;
      heartbeatInterval = c.heartbeatInterval;
      blockCacheBytes = c.blockCacheBytes;
      metaReplicas = c.metaReplicas;
      logSegmentBytes = c.logSegmentBytes;
      metricsPort = c.metricsPort;
      listenHost = c.listenHost;
    }

    public Builder pluginDir(Optional<Path> value) {
      pluginDir = value;
      return this;
    }

    public Builder maxValueBytes(int value) {
      maxValueBytes = value;
      return this;
    }

    public Builder electionTimeoutMin(Duration value) {
      electionTimeoutMin = value;
      return this;
    }

    public Builder snapshotThreshold(long value) {
      snapshotThreshold = value;
      return this;
    }

    public Builder logPreservedEntries(long value) {
      logPreservedEntries = value;
      return this;
    }

    public Builder heartbeatInterval(Duration value) {
      heartbeatInterval = value;
      return this;
    }

    public Builder blockCacheBytes(long value) {
      blockCacheBytes = value;
      return this;
    }

    public Builder metaReplicas(int value) {
      metaReplicas = value;
      return this;
    }

    public Builder logSegmentBytes(long value) {
      logSegmentBytes = value;
      return this;
    }

    public Builder metricsPort(int value) {
      metricsPort = value;
      return this;
    }

    public Builder listenHost(String value) {
      listenHost = value;
      return this;
    }

    public NodeConfig build() {
      return new NodeConfig(
          self,
          initialCluster,
          dataDir,
          pluginDir,
          maxValueBytes,
          electionTimeoutMin,
          snapshotThreshold,
          logPreservedEntries,
          heartbeatInterval,
          blockCacheBytes,
          metaReplicas,
          logSegmentBytes,
          metricsPort,
          listenHost);
    }
  }
}
