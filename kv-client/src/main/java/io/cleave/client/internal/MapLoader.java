package io.cleave.client.internal;

import io.cleave.api.v1.AdminServiceGrpc;
import io.cleave.api.v1.GetClusterMapRequest;
import io.grpc.Deadline;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Loads the cluster map into the routing cache. Concurrent reloads share one GetClusterMap call:
 * when a node dies, every call in flight wants a new map at once, and one answer serves them all.
 */
public final class MapLoader {
  private final AnyNode anyNode;
  private final RoutingCache cache;
  private final Counters counters;
  private final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();

  /** A loader asking through {@code anyNode} and filling {@code cache}. */
  public MapLoader(AnyNode anyNode, RoutingCache cache, Counters counters) {
    this.anyNode = anyNode;
    this.cache = cache;
    this.counters = counters;
  }

  /**
   * Reloads the map, or joins the reload already running. Completes when the cache holds the new
   * map; fails when no node answered before {@code deadline}.
   */
  public CompletableFuture<Void> reload(Deadline deadline) {
    while (true) {
      CompletableFuture<Void> running = inFlight.get();
      if (running != null) {
        return running;
      }
      CompletableFuture<Void> mine = new CompletableFuture<>();
      if (inFlight.compareAndSet(null, mine)) {
        counters.mapReloads.increment();
        anyNode
            .call(
                AdminServiceGrpc.getGetClusterMapMethod(),
                GetClusterMapRequest.getDefaultInstance(),
                deadline)
            .whenComplete(
                (map, error) -> {
                  if (error == null) {
                    cache.apply(map);
                  }
                  // Clear before completing, so a caller woken by this map that still finds it
                  // wanting starts a fresh load instead of joining the finished one.
                  inFlight.compareAndSet(mine, null);
                  if (error == null) {
                    mine.complete(null);
                  } else {
                    mine.completeExceptionally(error);
                  }
                });
        return mine;
      }
    }
  }
}
