package io.cleave.cli;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import io.cleave.api.v1.SplitMergePolicy;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The JSON shapes of the CLI's answers and their table rows. Records, not protobuf messages, so the
 * JSON is stable, snake_case and free of protobuf's defaults-are-absent rule; a null field is left
 * out.
 */
final class Views {
  private Views() {}

  /** A node as {@code status} shows it. */
  record NodeView(
      String nodeId,
      String clientAddress,
      String raftAddress,
      boolean alive,
      long lastHeartbeatMillis) {
    static NodeView of(NodeDescriptor n) {
      return new NodeView(
          n.getNodeId(),
          n.getClientAddress(),
          n.getRaftAddress(),
          n.getAlive(),
          n.getLastHeartbeatMillis());
    }

    static final List<String> HEADERS = List.of("NODE", "CLIENT ADDRESS", "RAFT ADDRESS", "ALIVE");

    List<String> row() {
      return List.of(nodeId, clientAddress, raftAddress, String.valueOf(alive));
    }
  }

  /** A keyspace's split/merge policy; 0 means unset (the node's default). */
  record PolicyView(
      int maxShards,
      int minShards,
      long maxKeysPerShard,
      long maxSizePerShard,
      long maxLoadPerShard,
      double mergeThresholdRatio,
      long cooldownMillis) {
    static PolicyView of(SplitMergePolicy p) {
      return new PolicyView(
          p.getMaxShards(),
          p.getMinShards(),
          p.getMaxKeysPerShard(),
          p.getMaxSizePerShard(),
          p.getMaxLoadPerShard(),
          p.getMergeThresholdRatio(),
          p.getCooldownMillis());
    }

    /** The limits that are set, as {@code name=value} words; "none" when none is. */
    String summary() {
      List<String> set = new ArrayList<>();
      addIfSet(set, "max-shards", maxShards);
      addIfSet(set, "min-shards", minShards);
      addIfSet(set, "max-keys-per-shard", maxKeysPerShard);
      addIfSet(set, "max-size-per-shard", maxSizePerShard);
      addIfSet(set, "max-load-per-shard", maxLoadPerShard);
      if (mergeThresholdRatio > 0) {
        set.add("merge-ratio=" + mergeThresholdRatio);
      }
      addIfSet(set, "cooldown-ms", cooldownMillis);
      return set.isEmpty() ? "none" : String.join(" ", set);
    }

    private static void addIfSet(List<String> set, String name, long value) {
      if (value > 0) {
        set.add(name + "=" + value);
      }
    }
  }

  /** A keyspace. {@code shardCount} and {@code shards} are filled where the command knows them. */
  record KeyspaceView(
      int id,
      String name,
      String valueType,
      String partitioning,
      int replicationFactor,
      boolean deleting,
      PolicyView policy,
      Integer shardCount,
      List<ShardView> shards) {
    static KeyspaceView of(KeyspaceDescriptor k, Integer shardCount, List<ShardView> shards) {
      return new KeyspaceView(
          k.getId(),
          k.getName(),
          k.getValueType().isEmpty() ? "bytes" : k.getValueType(),
          Views.partitioning(k.getPartitioning()),
          k.getReplicationFactor(),
          k.getDeleting(),
          PolicyView.of(k.getPolicy()),
          shardCount,
          shards);
    }

    static final List<String> HEADERS =
        List.of("NAME", "ID", "TYPE", "PARTITIONING", "REPLICAS", "SHARDS");

    List<String> row() {
      return List.of(
          name,
          String.valueOf(id),
          valueType,
          partitioning,
          String.valueOf(replicationFactor),
          shardCount == null ? "" : String.valueOf(shardCount));
    }

    /** The lines above a shard table: what the keyspace is and how it splits. */
    List<String> summary() {
      return List.of(
          "keyspace: " + name + " (id " + id + (deleting ? ", being deleted" : "") + ")",
          "type: " + valueType + ", partitioning: " + partitioning,
          "replicas: " + replicationFactor + ", shards: " + (shards == null ? "?" : shards.size()),
          "split/merge limits: " + policy.summary());
    }
  }

  /**
   * A shard: its routing range {@code [start, end)} in hex ({@code ""} is the beginning or end of
   * the routing space), its replicas and last reported leader, and, from {@code describe}, the
   * leader's statistics.
   */
  record ShardView(
      long id,
      String start,
      String end,
      long epoch,
      List<String> replicas,
      String leader,
      Long keyCount,
      Long size,
      Double loadPerSecond) {
    static ShardView of(ShardDescriptor s, ShardStats stats) {
      return new ShardView(
          s.getShardId(),
          hex(s.getStart()),
          hex(s.getEnd()),
          s.getEpoch(),
          s.getReplicasList().stream().map(Replica::getNodeId).toList(),
          s.getLeaderNodeId(),
          stats == null ? null : stats.getKeyCount(),
          stats == null ? null : stats.getSize(),
          stats == null ? null : stats.getLoadPerSecond());
    }

    static ShardView of(ShardDescriptor s) {
      return of(s, null);
    }

    static final List<String> HEADERS =
        List.of("SHARD", "START", "END", "EPOCH", "REPLICAS", "LEADER", "KEYS", "SIZE");

    List<String> row() {
      return List.of(
          String.valueOf(id),
          start.isEmpty() ? "-" : start,
          end.isEmpty() ? "-" : end,
          String.valueOf(epoch),
          String.join(" ", replicas),
          leader.isEmpty() ? "?" : leader,
          keyCount == null ? "" : String.valueOf(keyCount),
          size == null ? "" : String.valueOf(size));
    }

    /** {@code 12 [00.., 80..)}: id and range, for one-line messages. */
    String brief() {
      return id + " [" + (start.isEmpty() ? "-" : start) + ", " + (end.isEmpty() ? "-" : end) + ")";
    }
  }

  static List<List<String>> rows(List<ShardView> shards) {
    return shards.stream().map(ShardView::row).toList();
  }

  /**
   * The answer of a command that changed shards: {@code json}, a table of {@code shards} under
   * {@code summary}, and {@code line} as the whole simple format.
   */
  static Output changedShards(
      Object json, List<String> summary, List<ShardView> shards, String line) {
    return new Output(json, summary, ShardView.HEADERS, rows(shards), List.of(line));
  }

  static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  /** {@code hash} or {@code range}; unspecified is the node's default, hash. */
  static String partitioning(Partitioning p) {
    return p == Partitioning.RANGE ? "range" : "hash";
  }
}
