package io.cleave.server.shard;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.RequestId;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.KeyResults;
import io.cleave.internal.v1.ShardReply;
import org.junit.jupiter.api.Test;

class RecentWritesTest {
  private static RequestId id(long sequence) {
    return RequestId.newBuilder()
        .setClientId(ByteString.copyFrom(new byte[16]))
        .setSequence(sequence)
        .build();
  }

  private static ShardReply reply(int payloadBytes) {
    return ShardReply.newBuilder()
        .setResults(
            KeyResults.newBuilder()
                .addResults(
                    KeyResult.newBuilder().setPayload(ByteString.copyFrom(new byte[payloadBytes]))))
        .build();
  }

  @Test
  void keepsAtMostMaxEntriesDroppingTheOldestFirst() {
    RecentWrites recent = new RecentWrites(3, Long.MAX_VALUE);
    for (long s = 1; s <= 5; s++) {
      recent.remember(id(s), reply(1), 0);
    }
    assertThat(recent.size()).isEqualTo(3);
    assertThat(recent.find(id(2))).isNull();
    assertThat(recent.find(id(3))).isEqualTo(reply(1));
    assertThat(recent.find(id(5))).isNotNull();
  }

  @Test
  void keepsAtMostMaxBytes() {
    RecentWrites recent = new RecentWrites(1_000, 3_000);
    for (long s = 1; s <= 10; s++) {
      recent.remember(id(s), reply(1_000), 0);
    }
    assertThat(recent.size()).isBetween(1, 2);
    assertThat(recent.find(id(10))).isNotNull();
    assertThat(recent.find(id(1))).isNull();
  }

  @Test
  void unsetIdsAreNeverRemembered() {
    RecentWrites recent = new RecentWrites(10, Long.MAX_VALUE);
    recent.remember(RequestId.getDefaultInstance(), reply(1), 0);
    recent.remember(null, reply(1), 0);
    assertThat(recent.size()).isZero();
    assertThat(recent.find(RequestId.getDefaultInstance())).isNull();
  }
}
