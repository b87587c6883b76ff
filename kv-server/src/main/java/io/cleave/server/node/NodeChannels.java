package io.cleave.server.node;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per peer node's client address, for node-to-node calls. */
final class NodeChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> byAddress = new ConcurrentHashMap<>();

  /**
   * The channel to {@code address}, reconnecting at once if its last connection attempt failed.
   *
   * <p>A channel whose attempts failed (the peer was down, or its client port not yet open: a node
   * opens it only after its Raft groups started) waits out a growing reconnect backoff, up to two
   * minutes in grpc-java, and every call on it meanwhile fails or, with wait-for-ready, sits until
   * its deadline. A peer that was killed and restarted would stay unreachable long after it is back
   * (heartbeats to a restarted meta leader were lost this way). Node-to-node calls are few, so each
   * use may ask for a fresh attempt.
   */
  ManagedChannel to(String address) {
    ManagedChannel channel =
        byAddress.computeIfAbsent(
            address,
            a ->
                NettyChannelBuilder.forTarget(a)
                    .usePlaintext()
                    .maxInboundMessageSize(64 * 1024 * 1024)
                    .build());
    if (channel.getState(true) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
    return channel;
  }

  @Override
  public void close() {
    byAddress.values().forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : byAddress.values()) {
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
