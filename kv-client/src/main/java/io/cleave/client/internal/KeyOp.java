package io.cleave.client.internal;

import io.cleave.api.v1.RouteHint;
import io.grpc.MethodDescriptor;

/**
 * A data call over one or more keys, as the retry loop sees it: it can build the request for any
 * subset of its keys that one shard owns, and store the answer for that subset. A single-key call
 * is the subset of size one, so single keys and batches share one routing and retry path.
 *
 * @param <Q> the request message
 * @param <A> the response message
 */
public interface KeyOp<Q, A> {
  MethodDescriptor<Q, A> method();

  /** How many keys the call covers. */
  int size();

  /** The user key at {@code index}. */
  byte[] key(int index);

  /**
   * Whether the call changes data. A write whose deadline passes in flight has an unknown outcome
   * and is not retried.
   */
  boolean write();

  /**
   * Whether any replica may answer (a read that accepts stale data): such reads go to the replicas
   * in turn instead of all to the leader, which spreads them over the nodes.
   */
  default boolean anyReplica() {
    return false;
  }

  /** The request for the keys at {@code indices}, all owned by the shard of {@code route}. */
  Q request(RouteHint route, int[] indices);

  /**
   * Stores the answer for the keys at {@code indices}.
   *
   * @throws IllegalStateException if the response does not match the request (a node bug)
   */
  void accept(int[] indices, A response);
}
