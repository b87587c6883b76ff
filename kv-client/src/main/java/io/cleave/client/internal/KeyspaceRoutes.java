package io.cleave.client.internal;

import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.ShardDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The shards of one keyspace, keyed by the start of their routing range in unsigned byte order (the
 * order nodes store and split in; signed order would misplace every hash with the top bit set).
 * Lookups are lock-free; repairs serialize on this object and insert the new shard before dropping
 * the ones it overlaps, so a concurrent lookup sees an old or a new route, never a hole that would
 * trigger a needless map reload.
 */
public final class KeyspaceRoutes {
  private final KeyspaceDescriptor keyspace;
  private final ConcurrentSkipListMap<byte[], ShardRoute> byStart =
      new ConcurrentSkipListMap<>(Arrays::compareUnsigned);

  /** Routes of {@code keyspace}, filled with {@code shards} (its shards from a cluster map). */
  public KeyspaceRoutes(KeyspaceDescriptor keyspace, Collection<ShardDescriptor> shards) {
    this.keyspace = keyspace;
    for (ShardDescriptor shard : shards) {
      byStart.put(shard.getStart().toByteArray(), new ShardRoute(shard));
    }
  }

  public KeyspaceDescriptor keyspace() {
    return keyspace;
  }

  /** The routing key of a user key in this keyspace (HASH: murmur3; RANGE: the key). */
  public byte[] routingKey(byte[] key) {
    return RoutingKeys.routingKey(keyspace.getPartitioning(), key);
  }

  /** The cached shard whose range holds {@code routingKey}, or null when the cache has a hole. */
  public ShardRoute find(byte[] routingKey) {
    Map.Entry<byte[], ShardRoute> floor = byStart.floorEntry(routingKey);
    if (floor == null || !floor.getValue().contains(routingKey)) {
      return null;
    }
    return floor.getValue();
  }

  /** The cached shards in routing order; a copy. */
  public List<ShardRoute> shards() {
    return new ArrayList<>(byStart.values());
  }

  /**
   * Puts descriptors a node sent (after a split or merge) in place of the cached shards they
   * overlap. A descriptor older than the cached copy of the same shard is ignored: the node that
   * sent it may itself be behind. Epochs of different shards are not comparable (a merge gives the
   * survivor its own epoch + 1), so only same-id epochs are compared.
   *
   * @return whether anything changed; a repair that changes nothing means the node knows no more
   *     than the cache, and the caller should reload the map instead of retrying in a loop
   */
  public synchronized boolean replace(Collection<ShardDescriptor> fresh) {
    boolean changed = false;
    for (ShardDescriptor shard : fresh) {
      if (shard.getKeyspaceId() != keyspace.getId() || !isNewer(shard)) {
        continue;
      }
      ShardRoute route = new ShardRoute(shard);
      byte[] start = shard.getStart().toByteArray();
      List<byte[]> overlapping = new ArrayList<>();
      Map.Entry<byte[], ShardRoute> before = byStart.lowerEntry(start);
      if (before != null && before.getValue().overlaps(shard)) {
        overlapping.add(before.getKey());
      }
      NavigableMap<byte[], ShardRoute> after =
          shard.getEnd().isEmpty()
              ? byStart.tailMap(start, false)
              : byStart.subMap(start, false, shard.getEnd().toByteArray(), false);
      overlapping.addAll(after.keySet());
      byStart.put(start, route);
      overlapping.forEach(byStart::remove);
      changed = true;
    }
    return changed;
  }

  private boolean isNewer(ShardDescriptor shard) {
    for (ShardRoute cached : byStart.values()) {
      if (cached.shardId() == shard.getShardId()) {
        return shard.getEpoch() > cached.epoch()
            || (shard.getEpoch() == cached.epoch() && !cached.descriptor().equals(shard));
      }
    }
    return true;
  }
}
