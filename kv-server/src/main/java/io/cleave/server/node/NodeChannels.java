package io.cleave.server.node;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per peer node's client address, for node-to-node calls. */
final class NodeChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> byAddress = new ConcurrentHashMap<>();

  ManagedChannel to(String address) {
    return byAddress.computeIfAbsent(
        address,
        a ->
            NettyChannelBuilder.forTarget(a)
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build());
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
