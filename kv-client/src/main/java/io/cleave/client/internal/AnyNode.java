package io.cleave.client.internal;

import io.cleave.client.CleaveException;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Calls that any node can answer (the cluster map, admin): asks the configured endpoints and every
 * node the map named, one after the other, until one answers. Only UNAVAILABLE moves on to the next
 * node; any other failure is the cluster's answer and ends the call.
 */
public final class AnyNode {
  private final List<String> seeds;
  private final RoutingCache cache;
  private final Channels channels;

  /**
   * @param seeds the endpoints the client was built with, tried first
   * @param cache source of further node addresses once a map is loaded
   * @param channels the channel pool, and its memory of down nodes
   */
  public AnyNode(List<String> seeds, RoutingCache cache, Channels channels) {
    this.seeds = List.copyOf(seeds);
    this.cache = cache;
    this.channels = channels;
  }

  /** Sends {@code request} to the first node that answers before {@code deadline}. */
  public <Q, A> CompletableFuture<A> call(
      MethodDescriptor<Q, A> method, Q request, Deadline deadline) {
    Set<String> all = new LinkedHashSet<>(seeds);
    all.addAll(cache.knownAddresses());
    // Nodes that just refused us go last, not out: the mark is a guess and may be all we have.
    List<String> order = new ArrayList<>();
    all.stream().filter(a -> !channels.isDown(a)).forEach(order::add);
    all.stream().filter(channels::isDown).forEach(order::add);
    CompletableFuture<A> result = new CompletableFuture<>();
    attempt(order, 0, method, request, deadline, result, null);
    return result;
  }

  private <Q, A> void attempt(
      List<String> order,
      int next,
      MethodDescriptor<Q, A> method,
      Q request,
      Deadline deadline,
      CompletableFuture<A> result,
      Throwable last) {
    if (next >= order.size() || deadline.isExpired()) {
      result.completeExceptionally(
          new CleaveException(
              last == null ? Status.Code.UNAVAILABLE : Status.fromThrowable(last).getCode(),
              "no node answered " + method.getBareMethodName() + " (tried " + order + ")",
              last));
      return;
    }
    String address = order.get(next);
    CompletableFuture<A> call;
    try {
      call = Rpc.call(channels.get(address), method, request, deadline);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    call.whenComplete(
        (response, error) -> {
          if (error == null) {
            result.complete(response);
          } else if (Status.fromThrowable(error).getCode() == Status.Code.UNAVAILABLE) {
            channels.markDown(address);
            attempt(order, next + 1, method, request, deadline, result, error);
          } else {
            result.completeExceptionally(error);
          }
        });
  }
}
