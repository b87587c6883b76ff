package io.cleave.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardError;
import io.cleave.internal.v1.ShardReply;
import io.cleave.internal.v1.ShardState;
import org.junit.jupiter.api.Test;

class ShardOperationsTest {
  private static final ShardDescriptor LEFT = shard(1, "", "m", 4);
  private static final ShardDescriptor RIGHT = shard(2, "m", "t", 3);

  private static ShardDescriptor shard(long id, String start, String end, long epoch) {
    return ShardDescriptor.newBuilder()
        .setShardId(id)
        .setKeyspaceId(7)
        .setStart(ByteString.copyFromUtf8(start))
        .setEnd(ByteString.copyFromUtf8(end))
        .setEpoch(epoch)
        .build();
  }

  private static ShardReply refusedWith(ShardDescriptor currentLeft) {
    return ShardReply.newBuilder()
        .setShardError(
            ShardError.newBuilder()
                .setCode(ShardError.Code.EPOCH_MISMATCH)
                .setShardId(1)
                .addCurrentShards(currentLeft))
        .build();
  }

  @Test
  void anAppliedCommitGivesTheMergedShard() {
    ShardDescriptor merged = shard(1, "", "t", 5);
    ShardReply applied =
        ShardReply.newBuilder().setState(ShardState.newBuilder().setShard(merged)).build();

    assertThat(ShardOperations.mergedShard(applied, 1, RIGHT)).contains(merged);
  }

  @Test
  void aResentCommitRefusedBecauseTheFirstAppliedStillCountsAsMerged() {
    ShardDescriptor alreadyMerged = shard(1, "", "t", 5);

    assertThat(ShardOperations.mergedShard(refusedWith(alreadyMerged), 1, RIGHT))
        .contains(alreadyMerged);
  }

  @Test
  void aCommitRefusedForAnotherReasonMeansNoMergeSoTheRightShardMayThaw() {
    ShardDescriptor leftSplitMeanwhile = shard(1, "", "g", 5);

    assertThat(ShardOperations.mergedShard(refusedWith(LEFT), 1, RIGHT)).isEmpty();
    assertThat(ShardOperations.mergedShard(refusedWith(leftSplitMeanwhile), 1, RIGHT)).isEmpty();
  }
}
