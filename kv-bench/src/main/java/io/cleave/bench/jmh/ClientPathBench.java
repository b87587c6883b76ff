package io.cleave.bench.jmh;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.PutRequest;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.client.Bytes;
import io.cleave.client.internal.KeyspaceRoutes;
import io.cleave.client.internal.ShardRoute;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The client's per-call CPU before the network: hash the key and find its shard in the routing
 * cache ({@link KeyspaceRoutes}, a lock-free skip list), then build and serialize the request
 * protobuf. Keys look like YCSB's ({@code user} + a 19-digit number), values 100 B.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClientPathBench {
  @Param({"1", "8", "256"})
  public int shards;

  private KeyspaceRoutes routes;
  private byte[][] keys;
  private final ByteString value = ByteString.copyFrom(new byte[100]);

  @Setup
  public void setUp() {
    KeyspaceDescriptor keyspace =
        KeyspaceDescriptor.newBuilder()
            .setId(1)
            .setName("usertable")
            .setPartitioning(Partitioning.HASH)
            .build();
    List<ShardDescriptor> list = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      ShardDescriptor.Builder d =
          ShardDescriptor.newBuilder().setKeyspaceId(1).setShardId(100 + i).setEpoch(1);
      if (i > 0) {
        d.setStart(boundary(i));
      }
      if (i < shards - 1) {
        d.setEnd(boundary(i + 1));
      }
      for (String n : List.of("n1", "n2", "n3")) {
        d.addReplicas(Replica.newBuilder().setNodeId(n));
      }
      list.add(d.setLeaderNodeId("n" + (1 + i % 3)).build());
    }
    routes = new KeyspaceRoutes(keyspace, list);
    keys = new byte[4096][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] =
          ("user" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()))
              .getBytes(StandardCharsets.UTF_8);
    }
  }

  /** Start of shard {@code i} of {@code shards} equal slices of the 8-byte hash space. */
  private ByteString boundary(int i) {
    long start = Long.divideUnsigned(-1L, shards) * i;
    return ByteString.copyFrom(ByteBuffer.allocate(8).putLong(start).array());
  }

  private byte[] key() {
    return keys[ThreadLocalRandom.current().nextInt(keys.length)];
  }

  /** Routing key (murmur3 hash) + routing-cache lookup. */
  @Benchmark
  public ShardRoute route() {
    byte[] key = key();
    return routes.find(routes.routingKey(key));
  }

  /** Route + build the PutRequest the client sends + serialize it (what gRPC does with it). */
  @Benchmark
  public byte[] routeAndEncodePut() {
    byte[] key = key();
    ShardRoute route = routes.find(routes.routingKey(key));
    Bytes k = Bytes.of(key);
    return PutRequest.newBuilder()
        .setKeyspace("usertable")
        .setKey(ByteString.copyFrom(k.toByteArray()))
        .setValue(value)
        .setRoute(route.hint())
        .build()
        .toByteArray();
  }
}
