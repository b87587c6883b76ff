package io.cleave.placement.sim;

import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.SplitMergePolicy;
import java.util.Arrays;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * One simulated keyspace: its descriptor, where its keys are, and its workload over time.
 *
 * <p>The workload is uniform per key plus, optionally, a set of hot keys whose loads follow a Zipf
 * law: key of rank r carries a share proportional to 1/r^s of the hot load.
 */
final class SimKeyspace {
  /** The workload at one round: how many keys, their load, and the load of the hot keys. */
  record Level(double keys, double loadPerKey, double hotLoad) {}

  final KeyspaceDescriptor descriptor;
  final KeyModel model;
  final double bytesPerKey;
  final IntFunction<Level> schedule;
  final int initialShards;
  // Hot keys sorted by position, with the prefix sums of their (normalized) Zipf weights.
  final double[] hotPositions;
  final ByteString[] hotKeys;
  final double[] hotWeights;
  final double[] hotPrefix;

  private SimKeyspace(
      KeyspaceDescriptor descriptor,
      KeyModel model,
      double bytesPerKey,
      IntFunction<Level> schedule,
      int initialShards,
      ByteString[] hotKeys,
      double[] weights) {
    this.descriptor = descriptor;
    this.model = model;
    this.bytesPerKey = bytesPerKey;
    this.schedule = schedule;
    this.initialShards = initialShards;
    Integer[] order = new Integer[hotKeys.length];
    double[] positions = new double[hotKeys.length];
    for (int i = 0; i < hotKeys.length; i++) {
      order[i] = i;
      positions[i] = model.position(hotKeys[i]);
    }
    Arrays.sort(order, (a, b) -> Double.compare(positions[a], positions[b]));
    this.hotPositions = new double[hotKeys.length];
    this.hotKeys = new ByteString[hotKeys.length];
    this.hotWeights = new double[hotKeys.length];
    this.hotPrefix = new double[hotKeys.length + 1];
    for (int i = 0; i < hotKeys.length; i++) {
      hotPositions[i] = positions[order[i]];
      this.hotKeys[i] = hotKeys[order[i]];
      hotWeights[i] = weights[order[i]];
      hotPrefix[i + 1] = hotPrefix[i] + hotWeights[i];
    }
  }

  static SimKeyspace hash(
      int id, SplitMergePolicy policy, int initialShards, IntFunction<Level> schedule) {
    return new SimKeyspace(
        descriptor(id, Partitioning.HASH, policy),
        new KeyModel.Hash(),
        100,
        schedule,
        initialShards,
        new ByteString[0],
        new double[0]);
  }

  static SimKeyspace range(
      int id, SplitMergePolicy policy, int initialShards, IntFunction<Level> schedule) {
    return new SimKeyspace(
        descriptor(id, Partitioning.RANGE, policy),
        new KeyModel.Range(),
        100,
        schedule,
        initialShards,
        new ByteString[0],
        new double[0]);
  }

  /**
   * This keyspace with {@code count} hot keys of Zipf exponent {@code s}: for HASH the hashes of
   * "hot-r", for RANGE ids drawn from {@code [0, idBound)} by a seeded random.
   */
  SimKeyspace withZipfHotKeys(int count, double s, long idBound, long seed) {
    Random random = new Random(seed);
    ByteString[] keys = new ByteString[count];
    double[] weights = zipfWeights(count, s);
    for (int r = 0; r < count; r++) {
      keys[r] =
          model instanceof KeyModel.Range
              ? KeyModel.Range.key(Math.floorMod(random.nextLong(), idBound))
              : ByteString.copyFrom(RoutingKeys.hash(("hot-" + r).getBytes()));
    }
    return new SimKeyspace(descriptor, model, bytesPerKey, schedule, initialShards, keys, weights);
  }

  /** Zipf weights 1/r^s for ranks 1..count, normalized to sum to 1. */
  static double[] zipfWeights(int count, double s) {
    double[] w = new double[count];
    double sum = 0;
    for (int r = 0; r < count; r++) {
      w[r] = 1 / Math.pow(r + 1, s);
      sum += w[r];
    }
    for (int r = 0; r < count; r++) {
      w[r] /= sum;
    }
    return w;
  }

  /** Index of the first hot key at or after {@code position}. */
  int hotIndex(double position) {
    int i = Arrays.binarySearch(hotPositions, position);
    if (i < 0) {
      return -i - 1;
    }
    while (i > 0 && hotPositions[i - 1] == position) {
      i--;
    }
    return i;
  }

  private static KeyspaceDescriptor descriptor(
      int id, Partitioning partitioning, SplitMergePolicy policy) {
    return KeyspaceDescriptor.newBuilder()
        .setId(id)
        .setName("ks" + id)
        .setPartitioning(partitioning)
        .setReplicationFactor(3)
        .setPolicy(policy)
        .build();
  }
}
