package io.cleave.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.RequestId;
import io.cleave.internal.v1.ClientWrite;
import io.cleave.internal.v1.KeyOp;
import io.cleave.internal.v1.KeyOpBatch;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.KeyResults;
import io.cleave.internal.v1.ShardCommand;
import io.cleave.internal.v1.ShardReplies;
import io.cleave.internal.v1.ShardReply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;

/** Group commit against a fake Raft group whose entries complete when the test says so. */
class WriteBatcherTest {
  private record Proposal(
      long shardId, ShardCommand command, CompletableFuture<RaftClientReply> reply) {}

  private final List<Proposal> proposals = new ArrayList<>();
  private final WriteBatcher batcher =
      new WriteBatcher(
          (shardId, command) -> {
            CompletableFuture<RaftClientReply> reply = new CompletableFuture<>();
            proposals.add(new Proposal(shardId, command, reply));
            return reply;
          });

  private CompletableFuture<ShardReply> submit(long shardId, ClientWrite write) {
    return batcher.submit(shardId, write);
  }

  private static ClientWrite withId(ClientWrite write, long sequence) {
    return write.toBuilder()
        .setRequestId(
            RequestId.newBuilder()
                .setClientId(ByteString.copyFrom(new byte[16]))
                .setSequence(sequence))
        .build();
  }

  private static ClientWrite put(String key) {
    return ClientWrite.newBuilder()
        .setOps(
            KeyOpBatch.newBuilder()
                .addOps(
                    KeyOp.newBuilder()
                        .setKind(KeyOp.Kind.PUT)
                        .setKey(ByteString.copyFromUtf8(key))
                        .setPayload(ByteString.copyFromUtf8("v"))))
        .build();
  }

  private static RaftClientReply.Builder replyBuilder() {
    return RaftClientReply.newBuilder()
        .setClientId(ClientId.randomId())
        .setServerId(RaftGroupMemberId.valueOf(RaftPeerId.valueOf("n1"), RaftGroupId.randomId()))
        .setCallId(1);
  }

  /** Commits a proposal: the state machine's reply carries each write's key as its payload. */
  private static void commit(Proposal proposal) {
    ShardReplies.Builder replies = ShardReplies.newBuilder();
    for (ClientWrite write : proposal.command().getWrites().getWritesList()) {
      replies.addReplies(
          ShardReply.newBuilder()
              .setResults(
                  KeyResults.newBuilder()
                      .addResults(
                          KeyResult.newBuilder().setPayload(write.getOps().getOps(0).getKey()))));
    }
    byte[] bytes = ShardReply.newBuilder().setReplies(replies).build().toByteArray();
    proposal
        .reply()
        .complete(
            replyBuilder()
                .setSuccess(true)
                .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes)))
                .build());
  }

  private static String payload(CompletableFuture<ShardReply> outcome) {
    return outcome.join().getResults().getResults(0).getPayload().toStringUtf8();
  }

  @Test
  void anIdleShardProposesAWriteAtOnce() {
    CompletableFuture<ShardReply> outcome = submit(1, put("a"));

    assertThat(proposals).hasSize(1);
    assertThat(proposals.get(0).command().getWrites().getWritesCount()).isEqualTo(1);
    commit(proposals.get(0));
    assertThat(payload(outcome)).isEqualTo("a");
  }

  @Test
  void writesArrivingWhileThePipelineIsFullLeaveTogetherAsOneEntry() {
    CompletableFuture<ShardReply> a = submit(1, put("a"));
    CompletableFuture<ShardReply> b = submit(1, put("b"));
    List<CompletableFuture<ShardReply>> waiting = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waiting.add(submit(1, put("w" + i)));
    }
    assertThat(proposals).hasSize(WriteBatcher.MAX_ENTRIES_IN_FLIGHT);

    commit(proposals.get(0));

    assertThat(payload(a)).isEqualTo("a");
    assertThat(proposals).hasSize(3);
    assertThat(proposals.get(2).command().getWrites().getWritesList())
        .extracting(w -> w.getOps().getOps(0).getKey().toStringUtf8())
        .containsExactly("w0", "w1", "w2", "w3", "w4");
    commit(proposals.get(1));
    commit(proposals.get(2));
    assertThat(payload(b)).isEqualTo("b");
    for (int i = 0; i < 5; i++) {
      assertThat(payload(waiting.get(i))).isEqualTo("w" + i);
    }
  }

  @Test
  void aResendOfAWaitingOrReplicatingWriteJoinsItInsteadOfEnteringTheLogTwice() {
    CompletableFuture<ShardReply> first = submit(1, withId(put("a"), 1));
    CompletableFuture<ShardReply> resentWhileReplicating = submit(1, withId(put("a"), 1));
    submit(1, put("b")); // fills the pipeline
    CompletableFuture<ShardReply> waiting = submit(1, withId(put("c"), 2));
    CompletableFuture<ShardReply> resentWhileWaiting = submit(1, withId(put("c"), 2));

    commit(proposals.get(0));
    commit(proposals.get(1));
    commit(proposals.get(2));

    assertThat(proposals).hasSize(3);
    assertThat(proposals.get(2).command().getWrites().getWritesCount()).isEqualTo(1);
    assertThat(resentWhileReplicating.join()).isSameAs(first.join());
    assertThat(resentWhileWaiting.join()).isSameAs(waiting.join());
  }

  @Test
  void aResendWithOtherKeysOrOfAnAppliedWriteIsProposedForTheShardToDecide() {
    CompletableFuture<ShardReply> first = submit(1, withId(put("a"), 7));
    // The same id with other keys: the call's keys were regrouped by a split between attempts.
    CompletableFuture<ShardReply> regrouped = submit(1, withId(put("b"), 7));
    commit(proposals.get(0));
    commit(proposals.get(1));
    // Applied already: the state machine answers it from the outcome it stored.
    CompletableFuture<ShardReply> late = submit(1, withId(put("a"), 7));
    commit(proposals.get(2));

    assertThat(proposals).hasSize(3);
    assertThat(List.of(first, regrouped, late))
        .allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
  }

  @Test
  void shardsBatchIndependently() {
    submit(1, put("a"));
    submit(1, put("b"));
    submit(2, put("c"));

    assertThat(proposals).extracting(Proposal::shardId).containsExactly(1L, 1L, 2L);
  }

  @Test
  void anEntryRaftDidNotCommitFailsEveryWriteInIt() {
    submit(1, put("a"));
    submit(1, put("b"));
    CompletableFuture<ShardReply> c = submit(1, put("c"));
    CompletableFuture<ShardReply> d = submit(1, put("d"));
    commit(proposals.get(0));

    RaftClientReply notLeader =
        replyBuilder()
            .setException(
                new NotLeaderException(
                    RaftGroupMemberId.valueOf(RaftPeerId.valueOf("n1"), RaftGroupId.randomId()),
                    null,
                    List.of()))
            .build();
    proposals.get(2).reply().complete(notLeader);

    for (CompletableFuture<ShardReply> outcome : List.of(c, d)) {
      assertThatThrownBy(outcome::join)
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(WriteBatcher.NotCommitted.class)
          .satisfies(
              e ->
                  assertThat(((WriteBatcher.NotCommitted) e).reply().getNotLeaderException())
                      .isNotNull());
    }
  }

  @Test
  void aShardThatDoesNotKeepUpRefusesWritesBeyondTheQueueBound() {
    int admitted = WriteBatcher.MAX_ENTRIES_IN_FLIGHT + WriteBatcher.MAX_WAITING_WRITES;
    for (int i = 0; i < admitted; i++) {
      assertThat(submit(1, put("k" + i))).isNotCompletedExceptionally();
    }

    assertThatThrownBy(() -> submit(1, put("one too many")).join())
        .cause()
        .isInstanceOf(WriteBatcher.Overloaded.class);

    // Once the pipeline moves, the queue drains and writes are admitted again.
    commit(proposals.get(0));
    assertThat(submit(1, put("again"))).isNotCompletedExceptionally();
  }
}
