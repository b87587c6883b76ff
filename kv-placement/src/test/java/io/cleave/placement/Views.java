package io.cleave.placement;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeySample;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import io.cleave.api.v1.SplitMergePolicy;
import io.cleave.placement.internal.RoutingSpace;
import java.util.ArrayList;
import java.util.List;

/** Small builders that keep the decider's test tables short. */
final class Views {
  private Views() {}

  static KeyspaceDescriptor keyspace(int id, Partitioning partitioning, SplitMergePolicy policy) {
    return KeyspaceDescriptor.newBuilder()
        .setId(id)
        .setName("ks" + id)
        .setPartitioning(partitioning)
        .setPolicy(policy)
        .build();
  }

  static KeyspaceDescriptor hashKeyspace(int id, SplitMergePolicy policy) {
    return keyspace(id, Partitioning.HASH, policy);
  }

  static SplitMergePolicy.Builder policy() {
    return SplitMergePolicy.newBuilder().setMaxShards(1000).setMinShards(1);
  }

  /** The 8-byte HASH routing key at {@code fraction} of the hash space. */
  static ByteString hashAt(double fraction) {
    return RoutingSpace.fromUnsignedLong(
        new java.math.BigDecimal(fraction)
            .multiply(new java.math.BigDecimal(java.math.BigInteger.ONE.shiftLeft(64)))
            .toBigInteger()
            .longValue());
  }

  static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static ShardDescriptor shard(long id, int keyspaceId, ByteString start, ByteString end) {
    return ShardDescriptor.newBuilder()
        .setShardId(id)
        .setKeyspaceId(keyspaceId)
        .setStart(start)
        .setEnd(end)
        .setEpoch(id * 10)
        .build();
  }

  /** {@code n} shards with ids {@code firstId..} cutting the hash space into equal parts. */
  static List<ShardDescriptor> evenHashShards(int keyspaceId, long firstId, int n) {
    List<ShardDescriptor> shards = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ByteString start = i == 0 ? ByteString.EMPTY : hashAt((double) i / n);
      ByteString end = i == n - 1 ? ByteString.EMPTY : hashAt((double) (i + 1) / n);
      shards.add(shard(firstId + i, keyspaceId, start, end));
    }
    return shards;
  }

  static ShardStats stats(long shardId, long keys, long size, double load, KeySample... samples) {
    return ShardStats.newBuilder()
        .setShardId(shardId)
        .setKeyCount(keys)
        .setSize(size)
        .setLoadPerSecond(load)
        .addAllHotKeys(List.of(samples))
        .build();
  }

  static KeySample sample(ByteString routingKey, double load) {
    return KeySample.newBuilder().setRoutingKey(routingKey).setLoad(load).build();
  }
}
