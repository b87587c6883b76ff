package io.cleave.client;

import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.GetClusterMapResponse;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.MergeShardsResponse;
import io.cleave.api.v1.RegisterKeyspaceResponse;
import io.cleave.api.v1.SplitShardResponse;
import java.util.List;

/** The blocking view of {@link Admin}, from {@link BlockingClient#admin()}. */
public final class BlockingAdmin {
  private final Admin admin;

  BlockingAdmin(Admin admin) {
    this.admin = admin;
  }

  /** See {@link Admin#registerKeyspace}. */
  public RegisterKeyspaceResponse registerKeyspace(String name, KeyspaceOptions options) {
    return Await.result(admin.registerKeyspace(name, options));
  }

  /** See {@link Admin#deregisterKeyspace}. */
  public void deregisterKeyspace(String name) {
    Await.result(admin.deregisterKeyspace(name));
  }

  /** See {@link Admin#listKeyspaces}. */
  public List<KeyspaceDescriptor> listKeyspaces() {
    return Await.result(admin.listKeyspaces());
  }

  /** See {@link Admin#describeKeyspace}. */
  public DescribeKeyspaceResponse describeKeyspace(String name) {
    return Await.result(admin.describeKeyspace(name));
  }

  /** See {@link Admin#clusterStatus}. */
  public ClusterStatusResponse clusterStatus() {
    return Await.result(admin.clusterStatus());
  }

  /** See {@link Admin#splitShard}. */
  public SplitShardResponse splitShard(long shardId, Bytes splitAt) {
    return Await.result(admin.splitShard(shardId, splitAt));
  }

  /** See {@link Admin#mergeShards}. */
  public MergeShardsResponse mergeShards(long leftShardId, long rightShardId) {
    return Await.result(admin.mergeShards(leftShardId, rightShardId));
  }

  /** See {@link Admin#getClusterMap}. */
  public GetClusterMapResponse getClusterMap() {
    return Await.result(admin.getClusterMap());
  }
}
