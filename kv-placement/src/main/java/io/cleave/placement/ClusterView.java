package io.cleave.placement;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the placement policy sees of the cluster at one instant: the meta shard's cluster map plus
 * the latest stats nodes reported. Immutable; build with {@link #builder()}.
 *
 * <p>A shard without stats is left alone (nothing is known about it yet), which is also what a
 * freshly split shard looks like until its leader first reports.
 *
 * @param keyspaces every keyspace, each with its split/merge policy
 * @param shards every shard of every keyspace, in any order
 * @param stats latest stats by shard id
 * @param lastChangeMillis by shard id, when a split or merge last changed the shard's range (the
 *     start of its cooldown); absent when it never changed
 * @param inFlight operations the controller started and has not finished; their shards are busy and
 *     each shard-changing one takes a concurrency slot
 * @param reportedHotKeys by shard id, the routing key already reported hot for that shard, so the
 *     report is not repeated every round
 */
public record ClusterView(
    List<KeyspaceDescriptor> keyspaces,
    List<ShardDescriptor> shards,
    Map<Long, ShardStats> stats,
    Map<Long, Long> lastChangeMillis,
    List<PlacementOperation> inFlight,
    Map<Long, ByteString> reportedHotKeys) {

  /** Copies every collection, so the view cannot change under a running decision. */
  public ClusterView {
    keyspaces = List.copyOf(keyspaces);
    shards = List.copyOf(shards);
    stats = copy(stats);
    lastChangeMillis = copy(lastChangeMillis);
    inFlight = List.copyOf(inFlight);
    reportedHotKeys = copy(reportedHotKeys);
  }

  /**
   * Not {@link Map#copyOf}: its open addressing probes in long runs for keys with consecutive hash
   * codes, which shard ids are, and took most of a round's time at 100,000 shards.
   */
  private static <K, V> Map<K, V> copy(Map<K, V> map) {
    return Collections.unmodifiableMap(new HashMap<>(map));
  }

  /** An empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link ClusterView}. */
  public static final class Builder {
    private final List<KeyspaceDescriptor> keyspaces = new ArrayList<>();
    private final List<ShardDescriptor> shards = new ArrayList<>();
    private final Map<Long, ShardStats> stats = new HashMap<>();
    private final Map<Long, Long> lastChangeMillis = new HashMap<>();
    private final List<PlacementOperation> inFlight = new ArrayList<>();
    private final Map<Long, ByteString> reportedHotKeys = new HashMap<>();

    private Builder() {}

    /** Adds a keyspace. */
    public Builder keyspace(KeyspaceDescriptor keyspace) {
      keyspaces.add(keyspace);
      return this;
    }

    /** Adds a shard. */
    public Builder shard(ShardDescriptor shard) {
      shards.add(shard);
      return this;
    }

    /** Adds shards. */
    public Builder shards(Collection<ShardDescriptor> values) {
      shards.addAll(values);
      return this;
    }

    /** Sets the stats of the shard they name. */
    public Builder stats(ShardStats shardStats) {
      stats.put(shardStats.getShardId(), shardStats);
      return this;
    }

    /** Sets stats by shard id. */
    public Builder stats(Map<Long, ShardStats> values) {
      stats.putAll(values);
      return this;
    }

    /** Records when a split or merge last changed a shard. */
    public Builder lastChange(long shardId, long millis) {
      lastChangeMillis.put(shardId, millis);
      return this;
    }

    /** Sets last-change times by shard id. */
    public Builder lastChanges(Map<Long, Long> values) {
      lastChangeMillis.putAll(values);
      return this;
    }

    /** Adds an operation in flight. */
    public Builder inFlight(PlacementOperation operation) {
      inFlight.add(operation);
      return this;
    }

    /** Adds operations in flight. */
    public Builder inFlight(Collection<? extends PlacementOperation> operations) {
      inFlight.addAll(operations);
      return this;
    }

    /** Records that {@code routingKey} was already reported hot for the shard. */
    public Builder reportedHotKey(long shardId, ByteString routingKey) {
      reportedHotKeys.put(shardId, routingKey);
      return this;
    }

    /** Records reported hot keys by shard id. */
    public Builder reportedHotKeys(Map<Long, ByteString> values) {
      reportedHotKeys.putAll(values);
      return this;
    }

    /** The view. */
    public ClusterView build() {
      return new ClusterView(keyspaces, shards, stats, lastChangeMillis, inFlight, reportedHotKeys);
    }
  }
}
