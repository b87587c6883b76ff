package io.cleave.server.meta;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.KeyOp;
import io.cleave.internal.v1.KeyOpBatch;
import io.cleave.internal.v1.MetaCommand;
import io.cleave.internal.v1.MetaResult;
import io.cleave.internal.v1.ShardCommand;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.internal.v1.ShardReply;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.raft.ShardGroups;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The meta shard's fixed identity and the encoding of its commands and reads. */
public final class MetaShard {
  /** The internal keyspace that holds the cluster map. */
  public static final String KEYSPACE = "__meta";

  private static final ByteString MAP_KEY = ByteString.copyFrom("map", StandardCharsets.UTF_8);

  private MetaShard() {}

  /** The meta shard's state: keyspace 0, the whole routing space, on {@code members}. */
  public static ShardState state(List<String> members) {
    ShardDescriptor.Builder shard =
        ShardDescriptor.newBuilder()
            .setShardId(ShardGroups.META_SHARD_ID)
            .setKeyspaceId(0)
            .setEpoch(1);
    members.forEach(m -> shard.addReplicas(Replica.newBuilder().setNodeId(m)));
    return ShardState.newBuilder()
        .setShard(shard)
        .setKeyspaceName(KEYSPACE)
        .setValueType(ClusterMapType.NAME)
        .setPartitioning(Partitioning.RANGE)
        .build();
  }

  public static ShardCommand command(MetaCommand command, long nowMillis) {
    return ShardCommand.newBuilder()
        .setLeaderTimeMillis(nowMillis)
        .setOps(
            KeyOpBatch.newBuilder()
                .addOps(
                    KeyOp.newBuilder()
                        .setKind(KeyOp.Kind.COMMAND)
                        .setKey(MAP_KEY)
                        .setPayload(command.toByteString())))
        .build();
  }

  public static ShardQuery readMap() {
    return ShardQuery.newBuilder().setKind(ShardQuery.Kind.QUERY).addKeys(MAP_KEY).build();
  }

  /** The meta result in a shard reply; throws if the reply is an error. */
  public static MetaResult result(ShardReply reply) {
    if (!reply.hasResults() || reply.getResults().getResultsCount() != 1) {
      throw new IllegalStateException("meta shard answered " + reply);
    }
    var result = reply.getResults().getResults(0);
    if (!result.getFound()) {
      // No map yet: the cluster is new.
      return MetaResult.newBuilder()
          .setOk(true)
          .setMap(ClusterMap.newBuilder().setNextKeyspaceId(1).setNextShardId(1))
          .build();
    }
    try {
      return MetaResult.parseFrom(result.getPayload());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("malformed meta result", e);
    }
  }
}
