package io.cleave.client.internal;

import io.cleave.api.v1.BatchEntry;
import io.cleave.api.v1.BatchRequest;
import io.cleave.api.v1.BatchResponse;
import io.cleave.api.v1.BatchResult;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.ReadConsistency;
import io.cleave.api.v1.RouteHint;
import io.grpc.MethodDescriptor;
import java.util.Arrays;
import java.util.List;

/**
 * A multi-key call. The dispatcher hands it the indices of the keys of one shard at a time; the
 * results land at those indices, so the caller gets them back in its own order whatever the
 * grouping was.
 */
public final class BatchOp implements KeyOp<BatchRequest, BatchResponse> {
  private final String keyspace;
  private final BatchRequest.Kind kind;
  private final List<BatchEntry> entries;
  private final ReadConsistency consistency;
  private final boolean independent;
  private final BatchResult[] results;

  /**
   * @param entries the keys (and payloads) in the caller's order
   * @param consistency for GET; ignored by nodes for writes
   */
  public BatchOp(
      String keyspace,
      BatchRequest.Kind kind,
      List<BatchEntry> entries,
      ReadConsistency consistency) {
    this(keyspace, kind, entries, consistency, false);
  }

  /**
   * @param independent PUT entries that are separate calls merged by the client: nodes answer a bad
   *     entry with its own {@code BatchResult.error} instead of failing the batch
   */
  public BatchOp(
      String keyspace,
      BatchRequest.Kind kind,
      List<BatchEntry> entries,
      ReadConsistency consistency,
      boolean independent) {
    this.keyspace = keyspace;
    this.kind = kind;
    this.entries = List.copyOf(entries);
    this.consistency = consistency;
    this.independent = independent;
    this.results = new BatchResult[entries.size()];
  }

  @Override
  public MethodDescriptor<BatchRequest, BatchResponse> method() {
    return KvServiceGrpc.getBatchMethod();
  }

  @Override
  public int size() {
    return entries.size();
  }

  @Override
  public byte[] key(int index) {
    return entries.get(index).getKey().toByteArray();
  }

  @Override
  public boolean write() {
    return kind != BatchRequest.Kind.GET;
  }

  @Override
  public boolean anyReplica() {
    return kind == BatchRequest.Kind.GET && consistency == ReadConsistency.STALE;
  }

  @Override
  public BatchRequest request(RouteHint route, int[] indices) {
    BatchRequest.Builder request =
        BatchRequest.newBuilder()
            .setKeyspace(keyspace)
            .setKind(kind)
            .setConsistency(consistency)
            .setIndependent(independent)
            .setRoute(route);
    for (int index : indices) {
      // A write entry's place in the whole call names its outcome on the shard, also when a split
      // or merge between attempts regroups the call's keys.
      request.addEntries(
          write()
              ? entries.get(index).toBuilder().setCallIndex(index).build()
              : entries.get(index));
    }
    return request.build();
  }

  @Override
  public void accept(int[] indices, BatchResponse response) {
    if (response.getResultsCount() != indices.length) {
      throw new IllegalStateException(
          "node answered " + response.getResultsCount() + " results for " + indices.length);
    }
    for (int i = 0; i < indices.length; i++) {
      results[indices[i]] = response.getResults(i);
    }
  }

  /** The results in the caller's order, once the dispatcher's future completed. */
  public List<BatchResult> results() {
    return Arrays.asList(results.clone());
  }
}
