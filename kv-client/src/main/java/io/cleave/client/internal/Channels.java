package io.cleave.client.internal;

import io.cleave.client.CleaveException;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One channel per node address, created on first use and kept for the client's life: a gRPC channel
 * multiplexes every call to a node over one connection, so more would only add handshakes. Also
 * remembers which addresses recently refused a connection, so routing prefers another replica for a
 * while instead of hammering a dead node.
 */
public final class Channels implements AutoCloseable {
  private final Function<String, ManagedChannelBuilder<?>> builderFactory;
  private final long downPenaltyNanos;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Map<String, Long> downUntil = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param builderFactory makes the channel builder of an address; where TLS, keepalive or a test
   *     transport are chosen
   * @param downPenaltyNanos how long an address that failed with UNAVAILABLE is avoided
   */
  public Channels(
      Function<String, ManagedChannelBuilder<?>> builderFactory, long downPenaltyNanos) {
    this.builderFactory = builderFactory;
    this.downPenaltyNanos = downPenaltyNanos;
  }

  /**
   * The channel to {@code address}; creates it on first use.
   *
   * @throws CleaveException with CANCELLED once the client is closed
   */
  public ManagedChannel get(String address) {
    if (closed) {
      throw closed();
    }
    ManagedChannel channel =
        channels.computeIfAbsent(address, a -> builderFactory.apply(a).build());
    if (closed) {
      // close() may have run between the check and the insert: do not leak the new channel.
      channel.shutdownNow();
      throw closed();
    }
    return channel;
  }

  private static CleaveException closed() {
    return new CleaveException(Status.Code.CANCELLED, "client is closed", null);
  }

  /** Avoids {@code address} for a while: it failed without reaching a shard. */
  public void markDown(String address) {
    downUntil.put(address, System.nanoTime() + downPenaltyNanos);
  }

  /** Whether {@code address} failed recently enough that another replica should be preferred. */
  public boolean isDown(String address) {
    Long until = downUntil.get(address);
    if (until == null) {
      return false;
    }
    if (System.nanoTime() - until >= 0) {
      downUntil.remove(address, until);
      return false;
    }
    return true;
  }

  /** Shuts every channel down, waiting briefly for calls in flight. */
  @Override
  public void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdown);
    for (ManagedChannel channel : channels.values()) {
      try {
        if (!channel.awaitTermination(1, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
  }
}
