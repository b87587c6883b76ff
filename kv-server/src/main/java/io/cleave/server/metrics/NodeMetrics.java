package io.cleave.server.metrics;

import com.sun.net.httpserver.HttpServer;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.node.CleaveNode;
import io.cleave.server.node.PlacementLoop;
import io.cleave.server.shard.ShardStateMachine;
import io.cleave.server.storage.NodeStore;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;
import org.rocksdb.TickerType;

/**
 * The node's meters and their Prometheus endpoint ({@code GET /metrics}). Meter names are API: they
 * change only with a release note.
 */
public final class NodeMetrics implements AutoCloseable {
  public static final String REQUESTS = "cleave.grpc.requests";
  public static final String REPLICAS = "cleave.shard.replicas";
  public static final String LEADERS = "cleave.shard.leaders";
  public static final String KEYS = "cleave.shard.keys";
  public static final String SIZE = "cleave.shard.size";
  public static final String REPLICATION_RESTARTS = "cleave.placement.replication.restarts";
  public static final String BLOCK_CACHE = "cleave.store.block.cache";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private HttpServer http;

  public NodeMetrics(CleaveNode node) {
    node.writeBatcher().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    Gauge.builder(REPLICAS, node, n -> count(n, r -> true))
        .description("shard replicas hosted on this node")
        .register(registry);
    Gauge.builder(LEADERS, node, n -> count(n, r -> n.isLeader(r.shardId())))
        .description("shard replicas on this node that lead their shard")
        .register(registry);
    Gauge.builder(KEYS, node, n -> sum(n, true))
        .description("keys in the shards this node leads")
        .register(registry);
    Gauge.builder(SIZE, node, n -> sum(n, false))
        .description("value size (as the value types report it) in the shards this node leads")
        .register(registry);
    bindBlockCache(node.store());
  }

  /**
   * RocksDB block cache lookups by block kind and result: filter or index misses under load mean
   * the cache is too small for the node's data (docs/configuration.md).
   */
  private void bindBlockCache(NodeStore store) {
    blockCacheCounter(store, "filter", "hit", TickerType.BLOCK_CACHE_FILTER_HIT);
    blockCacheCounter(store, "filter", "miss", TickerType.BLOCK_CACHE_FILTER_MISS);
    blockCacheCounter(store, "index", "hit", TickerType.BLOCK_CACHE_INDEX_HIT);
    blockCacheCounter(store, "index", "miss", TickerType.BLOCK_CACHE_INDEX_MISS);
    blockCacheCounter(store, "data", "hit", TickerType.BLOCK_CACHE_DATA_HIT);
    blockCacheCounter(store, "data", "miss", TickerType.BLOCK_CACHE_DATA_MISS);
  }

  private void blockCacheCounter(NodeStore store, String kind, String result, TickerType ticker) {
    FunctionCounter.builder(BLOCK_CACHE, store, s -> (double) s.tickerCount(ticker))
        .description("RocksDB block cache lookups of this node's store")
        .tag("kind", kind)
        .tag("result", result)
        .register(registry);
  }

  /** Meters of the placement loop, which runs on whichever node leads the meta shard. */
  public void bindPlacement(PlacementLoop loop) {
    FunctionCounter.builder(REPLICATION_RESTARTS, loop, l -> (double) l.replicationRestarts())
        .description(
            "shard leaderships moved by this node's placement loop to restart a follower stuck"
                + " behind its leader")
        .register(registry);
  }

  private static double count(CleaveNode node, Predicate<ShardStateMachine> which) {
    return node.localReplicas().stream().filter(r -> r.state() != null).filter(which).count();
  }

  private static double sum(CleaveNode node, boolean keys) {
    double total = 0;
    for (ShardStateMachine replica : node.localReplicas()) {
      ShardState state = replica.state();
      if (state != null
          && state.getShard().getKeyspaceId() != 0
          && node.isLeader(replica.shardId())) {
        total += keys ? replica.stats().keyCount() : replica.stats().size();
      }
    }
    return total;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** Serves {@code GET /metrics} on {@code host:port} (0 picks a free port); returns the port. */
  public int serve(String host, int port) throws IOException {
    http = HttpServer.create(new InetSocketAddress(host, port), 0);
    http.createContext(
        "/metrics",
        exchange -> {
          byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
          exchange
              .getResponseHeaders()
              .add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    http.start();
    return http.getAddress().getPort();
  }

  /** Times every gRPC call by method and status code. */
  public ServerInterceptor grpcInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getBareMethodName();
        String service = call.getMethodDescriptor().getServiceName();
        return next.startCall(
            new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void close(Status status, Metadata trailers) {
                Timer.builder(REQUESTS)
                    .description("gRPC calls served by this node")
                    .tag("service", service == null ? "" : service)
                    .tag("method", method == null ? "" : method)
                    .tag("code", status.getCode().name())
                    .publishPercentileHistogram()
                    .serviceLevelObjectives(
                        Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofMillis(100))
                    .register(registry)
                    .record(Duration.ofNanos(System.nanoTime() - start));
                super.close(status, trailers);
              }
            },
            headers);
      }
    };
  }

  @Override
  public void close() {
    if (http != null) {
      http.stop(0);
    }
    registry.close();
  }
}
