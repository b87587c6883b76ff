package io.cleave.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.client.Bytes;
import io.cleave.client.CleaveException;
import io.cleave.client.Consistency;
import io.cleave.client.GetResult;
import io.cleave.client.ReadOptions;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class CoalescerTest {
  /** Records every call made and lets the test complete them. */
  private static final class FakeReads {
    final List<String> singles = new ArrayList<>();
    final List<CompletableFuture<GetResult>> singleCalls = new ArrayList<>();
    final List<List<String>> batches = new ArrayList<>();
    final List<CompletableFuture<List<GetResult>>> batchCalls = new ArrayList<>();

    CompletableFuture<GetResult> single(String keyspace, Bytes key, ReadOptions options) {
      singles.add(key.toUtf8());
      CompletableFuture<GetResult> call = new CompletableFuture<>();
      singleCalls.add(call);
      return call;
    }

    CompletableFuture<List<GetResult>> batch(
        String keyspace, List<Bytes> keys, ReadOptions options) {
      batches.add(keys.stream().map(Bytes::toUtf8).toList());
      CompletableFuture<List<GetResult>> call = new CompletableFuture<>();
      batchCalls.add(call);
      return call;
    }
  }

  private final FakeReads fake = new FakeReads();
  private final Counters counters = new Counters();

  private Coalescer<Bytes, ReadOptions, GetResult> coalescer(int maxInFlight) {
    return new Coalescer<>(
        maxInFlight,
        o -> Arrays.asList(o.consistency(), o.timeout()),
        fake::single,
        fake::batch,
        counters);
  }

  private static GetResult value(String v) {
    return new GetResult(true, Bytes.utf8(v), 1);
  }

  private static CompletableFuture<GetResult> read(
      Coalescer<Bytes, ReadOptions, GetResult> reads, String key) {
    return reads.call("ks", Bytes.utf8(key), ReadOptions.DEFAULT);
  }

  @Test
  void readsUnderTheLimitGoAloneAtOnce() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(2);

    CompletableFuture<GetResult> a = read(reads, "a");
    CompletableFuture<GetResult> b = read(reads, "b");

    assertThat(fake.singles).containsExactly("a", "b");
    assertThat(fake.batches).isEmpty();
    fake.singleCalls.get(0).complete(value("A"));
    assertThat(a.join().value().toUtf8()).isEqualTo("A");
    assertThat(b).isNotDone();
  }

  @Test
  void readsBeyondTheLimitWaitAndLeaveAsOneBatchWithTheirOwnResults() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(1);
    CompletableFuture<GetResult> first = read(reads, "a");
    CompletableFuture<GetResult> b = read(reads, "b");
    CompletableFuture<GetResult> c = read(reads, "c");
    CompletableFuture<GetResult> d = read(reads, "d");
    assertThat(fake.batches).isEmpty();

    fake.singleCalls.get(0).complete(value("A"));

    assertThat(first.join().value().toUtf8()).isEqualTo("A");
    assertThat(fake.batches).containsExactly(List.of("b", "c", "d"));
    fake.batchCalls.get(0).complete(List.of(value("B"), GetResult.NOT_FOUND, value("D")));
    assertThat(b.join().value().toUtf8()).isEqualTo("B");
    assertThat(c.join().found()).isFalse();
    assertThat(d.join().value().toUtf8()).isEqualTo("D");
    // Each merged read is still a call in the client's totals.
    assertThat(counters.calls.sum()).isEqualTo(2);
  }

  @Test
  void theSlotComesBackOnceEverythingCompleted() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(1);
    read(reads, "a");
    read(reads, "b");
    fake.singleCalls.get(0).complete(value("A"));
    fake.batchCalls.get(0).complete(List.of(value("B")));

    read(reads, "c");

    assertThat(fake.singles).containsExactly("a", "c");
    assertThat(fake.batches).hasSize(1);
  }

  @Test
  void aFailedBatchFailsEachReadInItWithItsCauseAndTheLaneGoesOn() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(1);
    read(reads, "a");
    CompletableFuture<GetResult> b = read(reads, "b");
    CompletableFuture<GetResult> c = read(reads, "c");
    fake.singleCalls.get(0).complete(value("A"));

    CleaveException unavailable =
        new CleaveException(Status.Code.UNAVAILABLE, "no node answered", null);
    fake.batchCalls.get(0).completeExceptionally(unavailable);

    assertCause(b::get, unavailable);
    assertCause(c::get, unavailable);
    assertThat(counters.failures.sum()).isEqualTo(1); // the dispatcher counts the batch itself
    read(reads, "d");
    assertThat(fake.singles).containsExactly("a", "d");
  }

  private static void assertCause(ThrowingCallable call, Throwable cause) {
    try {
      call.call();
      throw new AssertionError("expected a failure");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isSameAs(cause);
    } catch (Throwable e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void idleLanesAreDroppedSoCallsWithEverNewTimeoutsDoNotPileUp() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(1);
    for (int i = 1; i <= 100; i++) {
      ReadOptions options = ReadOptions.builder().timeout(Duration.ofMillis(1000 + i)).build();
      reads.call("ks", Bytes.utf8("k" + i), options);
      fake.singleCalls.get(i - 1).complete(value("v"));
    }

    assertThat(reads.lanes()).isZero();
    // A busy lane stays while it has calls out.
    read(reads, "busy");
    assertThat(reads.lanes()).isEqualTo(1);
  }

  @Test
  void readsWithOtherOptionsDoNotWaitBehindEachOther() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(1);
    read(reads, "a");

    ReadOptions stale = ReadOptions.builder().consistency(Consistency.STALE).build();
    reads.call("ks", Bytes.utf8("b"), stale);
    reads.call("other", Bytes.utf8("c"), ReadOptions.DEFAULT);

    assertThat(fake.singles).containsExactly("a", "b", "c");
  }

  @Test
  void zeroInFlightSendsEveryReadAlone() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(0);

    for (int i = 0; i < 5; i++) {
      read(reads, "k" + i);
    }

    assertThat(fake.singles).hasSize(5);
    assertThat(fake.batches).isEmpty();
  }

  @Test
  void aBusyLaneSendsAtMostTheBatchLimitPerCall() {
    Coalescer<Bytes, ReadOptions, GetResult> reads = coalescer(1);
    read(reads, "first");
    for (int i = 0; i < Coalescer.MAX_PER_BATCH + 3; i++) {
      read(reads, "k" + i);
    }

    fake.singleCalls.get(0).complete(value("A"));
    assertThat(fake.batches).hasSize(1);
    assertThat(fake.batches.get(0)).hasSize(Coalescer.MAX_PER_BATCH);

    List<GetResult> results = new ArrayList<>();
    for (int i = 0; i < Coalescer.MAX_PER_BATCH; i++) {
      results.add(value("v"));
    }
    fake.batchCalls.get(0).complete(results);
    assertThat(fake.batches.get(1)).containsExactly("k128", "k129", "k130");
  }
}
