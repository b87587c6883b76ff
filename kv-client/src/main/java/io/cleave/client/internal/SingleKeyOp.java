package io.cleave.client.internal;

import io.cleave.api.v1.RouteHint;
import io.grpc.MethodDescriptor;
import java.util.function.Function;

/**
 * A call on one key: Get, Put, Delete, CompareAndSet, Command or Query.
 *
 * @param <Q> the request message
 * @param <A> the response message
 */
public final class SingleKeyOp<Q, A> implements KeyOp<Q, A> {
  private final MethodDescriptor<Q, A> method;
  private final byte[] key;
  private final boolean write;
  private final boolean anyReplica;
  private final Function<RouteHint, Q> request;
  private volatile A response;

  /**
   * @param request builds the request for a route; called again on every attempt, because the route
   *     changes when the cache is repaired
   */
  /**
   * @param anyReplica a read that accepts stale data: any replica may answer it
   */
  public SingleKeyOp(
      MethodDescriptor<Q, A> method,
      byte[] key,
      boolean write,
      boolean anyReplica,
      Function<RouteHint, Q> request) {
    this.method = method;
    this.key = key;
    this.write = write;
    this.anyReplica = anyReplica && !write;
    this.request = request;
  }

  @Override
  public MethodDescriptor<Q, A> method() {
    return method;
  }

  @Override
  public int size() {
    return 1;
  }

  @Override
  public byte[] key(int index) {
    return key;
  }

  @Override
  public boolean write() {
    return write;
  }

  @Override
  public boolean anyReplica() {
    return anyReplica;
  }

  @Override
  public Q request(RouteHint route, int[] indices) {
    return request.apply(route);
  }

  @Override
  public void accept(int[] indices, A response) {
    this.response = response;
  }

  /** The answer, once the dispatcher's future completed. */
  public A response() {
    return response;
  }
}
