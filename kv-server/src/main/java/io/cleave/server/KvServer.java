package io.cleave.server;

import io.cleave.placement.PlacementSettings;
import io.cleave.server.config.NodeConfig;
import io.cleave.server.grpc.AdminServiceImpl;
import io.cleave.server.grpc.KvServiceImpl;
import io.cleave.server.grpc.NodeServiceImpl;
import io.cleave.server.meta.ClusterMapType;
import io.cleave.server.metrics.NodeMetrics;
import io.cleave.server.node.CleaveNode;
import io.cleave.server.node.HeartbeatSender;
import io.cleave.server.node.KeyspaceManager;
import io.cleave.server.node.PlacementLoop;
import io.cleave.server.node.ShardOperations;
import io.cleave.server.shard.ValueTypes;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running node: the {@link CleaveNode}, its gRPC endpoint and its periodic loops. */
public final class KvServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KvServer.class);

  private final CleaveNode node;
  private final PlacementLoop loop;
  private final NodeMetrics metrics;
  private final Server grpcServer;
  private final CallExecutors callExecutors;
  private final ScheduledExecutorService heartbeats;
  private final ScheduledExecutorService placement;
  private final HealthStatusManager health = new HealthStatusManager();

  private KvServer(NodeConfig config, CleaveNode node) throws IOException {
    this.node = node;
    this.loop = new PlacementLoop(node, PlacementSettings.defaults());
    // One instance for the placement loop and the admin API: it runs one split or merge at a time
    // per keyspace, whoever asked for it.
    ShardOperations shardOperations = new ShardOperations(node, loop);
    loop.executeWith(shardOperations);
    HeartbeatSender sender = new HeartbeatSender(node, loop);
    this.metrics = new NodeMetrics(node);
    metrics.bindPlacement(loop);
    if (config.metricsPort() >= 0) {
      try {
        int port = metrics.serve(config.listenHost(), config.metricsPort());
        LOG.info(
            "node {} serves metrics on http://{}:{}/metrics",
            config.self().nodeId(),
            config.listenHost(),
            port);
      } catch (java.net.BindException e) {
        // Metrics are not worth refusing to serve data for (several nodes on one host share the
        // default port): say so loudly and go on.
        LOG.warn(
            "node {}: metrics port {} is taken; serving no metrics ({})",
            config.self().nodeId(),
            config.metricsPort(),
            e.getMessage());
      }
    }
    this.callExecutors = new CallExecutors(config.self().nodeId());
    try {
      this.grpcServer =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(config.listenHost(), config.self().clientPort()))
              .maxInboundMessageSize(config.maxValueBytes() + 64 * 1024)
              .addService(new KvServiceImpl(node, callExecutors.dataCalls()))
              .addService(
                  new AdminServiceImpl(node, new KeyspaceManager(node, loop), shardOperations))
              .addService(new NodeServiceImpl(node, loop, sender))
              .addService(health.getHealthService())
              .addService(ProtoReflectionServiceV1.newInstance())
              .intercept(metrics.grpcInterceptor())
              .executor(callExecutors.dataCalls())
              .callExecutor(callExecutors)
              .build()
              .start();
    } catch (IOException | RuntimeException e) {
      callExecutors.close();
      metrics.close();
      throw e;
    }

    long interval = config.heartbeatInterval().toMillis();
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(daemon(config.self().nodeId() + "-heartbeat"));
    this.placement =
        Executors.newSingleThreadScheduledExecutor(daemon(config.self().nodeId() + "-placement"));
    heartbeats.scheduleWithFixedDelay(guarded(sender::send), 0, interval, TimeUnit.MILLISECONDS);
    placement.scheduleWithFixedDelay(
        guarded(loop::tick), interval, interval, TimeUnit.MILLISECONDS);
    LOG.info(
        "node {} serving clients on {}, raft on {}, data in {}",
        config.self().nodeId(),
        config.self().clientAddress(),
        config.self().raftAddress(),
        config.dataDir());
  }

  /** Starts a node; returns once it listens (the cluster may still be electing leaders). */
  public static KvServer start(NodeConfig config) throws IOException {
    ValueTypes types = ValueTypes.load(config.pluginDir(), List.of(new ClusterMapType()));
    CleaveNode node = CleaveNode.start(config, types);
    try {
      return new KvServer(config, node);
    } catch (IOException | RuntimeException e) {
      // Release the store's lock and the Raft port, so that starting again in this process (a
      // test restarting a node, an embedding application retrying) can succeed.
      node.close();
      throw e;
    }
  }

  public CleaveNode node() {
    return node;
  }

  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.warn("periodic task failed", e);
      }
    };
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops the loops, the endpoint and the node; safe to call twice. */
  @Override
  public void close() {
    health.enterTerminalState();
    heartbeats.shutdownNow();
    placement.shutdownNow();
    loop.close();
    grpcServer.shutdownNow();
    try {
      grpcServer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    callExecutors.close();
    node.close();
    metrics.close();
  }

  /** The node's meters, also served on {@code /metrics} when a metrics port is configured. */
  public NodeMetrics metrics() {
    return metrics;
  }
}
