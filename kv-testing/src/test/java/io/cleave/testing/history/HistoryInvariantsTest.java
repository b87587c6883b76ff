package io.cleave.testing.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryInvariantsTest {

  @Test
  void holdForACleanHistoryWithConcurrentWriters() {
    Script s = new Script();
    History.Pending a = s.call(1, Command.write("k", "a"));
    History.Pending b = s.call(2, Command.write("k", "b"));
    a.ok();
    b.ok();
    s.call(3, Command.write("k", "c")).unknown();
    Operation fin = s.read(9, "k", "a"); // b then a; c never happened
    HistoryInvariants.Report r = HistoryInvariants.check(s.ops(), List.of(fin));
    assertThat(r.ok()).as(r.report()).isTrue();
    assertThat(r.report()).isEqualTo("all invariants hold");
  }

  @Test
  void acknowledgedWriteOverwrittenOnlyByAnUnknownWriteIsNotLost() {
    Script s = new Script();
    s.write(1, "k", "a");
    s.call(2, Command.write("k", "b")).unknown();
    Operation fin = s.read(9, "k", "b");
    assertThat(HistoryInvariants.check(s.ops(), List.of(fin)).ok()).isTrue();
  }

  @Test
  void flagsAcknowledgedWriteMissingFromTheFinalRead() {
    Script s = new Script();
    s.write(1, "k", "a");
    s.write(2, "k", "b");
    Operation fin = s.read(9, "k", "a");
    HistoryInvariants.Report r = HistoryInvariants.check(s.ops(), List.of(fin));
    assertThat(r.violations())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.kind()).isEqualTo(HistoryInvariants.Kind.LOST_WRITE);
              assertThat(v.key()).isEqualTo(Bytes.utf8("k"));
              assertThat(v.description())
                  .contains("WRITE \"k\" := \"b\" OK")
                  .contains("final read saw \"a\"");
            });
  }

  @Test
  void flagsAcknowledgedWriteWhenTheKeyEndsAbsentWithoutADelete() {
    Script s = new Script();
    s.cas(1, "k", null, "a", true);
    s.cas(1, "k", "zzz", null, false); // a CAS that did not swap deletes nothing
    Operation fin = s.read(9, "k", null);
    HistoryInvariants.Report r = HistoryInvariants.check(s.ops(), List.of(fin));
    assertThat(r.violations())
        .extracting(HistoryInvariants.Violation::kind)
        .containsExactly(HistoryInvariants.Kind.LOST_WRITE);
  }

  @Test
  void deleteCanSupersedeAWrite() {
    Script s = new Script();
    s.write(1, "k", "a");
    s.delete(2, "k");
    Operation fin = s.read(9, "k", null);
    assertThat(HistoryInvariants.check(s.ops(), List.of(fin)).ok()).isTrue();
  }

  @Test
  void flagsPhantomReadsIncludingValuesOfFailedWritesAndFromTheFuture() {
    Script s = new Script();
    s.read(1, "k", "ghost");
    s.call(2, Command.write("k", "failed")).fail();
    s.read(1, "k", "failed");
    s.read(1, "k", "future");
    s.write(2, "k", "future");
    Operation fin = s.read(9, "k", "nowhere");
    HistoryInvariants.Report r = HistoryInvariants.check(s.ops(), List.of(fin));
    assertThat(r.violations())
        .extracting(HistoryInvariants.Violation::kind)
        .containsOnly(HistoryInvariants.Kind.PHANTOM_READ, HistoryInvariants.Kind.LOST_WRITE);
    assertThat(r.violations())
        .filteredOn(v -> v.kind() == HistoryInvariants.Kind.PHANTOM_READ)
        .extracting(HistoryInvariants.Violation::description)
        .satisfiesExactly(
            d -> assertThat(d).contains("saw \"ghost\"").contains("no acknowledged or unknown"),
            d -> assertThat(d).contains("saw \"failed\"").contains("no acknowledged or unknown"),
            d -> assertThat(d).contains("saw \"future\"").contains("invoked after the read"),
            d -> assertThat(d).contains("saw \"nowhere\""));
  }

  @Test
  void finalReadsNeedNotBeInTheHistoryButMustBeOkReads() {
    Script s = new Script();
    s.write(1, "k", "a");
    List<Operation> history = s.ops();
    Operation fin = s.read(9, "k", "a");
    assertThat(HistoryInvariants.check(history, List.of(fin)).ok()).isTrue();
    History.Pending timedOut = s.call(9, Command.read("k"));
    timedOut.unknown();
    Operation unknownRead = s.ops().get(s.ops().size() - 1);
    assertThatThrownBy(() -> HistoryInvariants.check(history, List.of(unknownRead)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void holdOnSimulatedHistoriesWithTheirFinalState() {
    for (long seed = 0; seed < 100; seed++) {
      RegisterSimulator.Run run =
          RegisterSimulator.builder().seed(seed).clients(5).operations(300).keys(3).build().run();
      long end = run.history().stream().mapToLong(Operation::invokeNanos).max().orElse(0) + 1;
      List<Operation> finals =
          run.finalValues().entrySet().stream()
              .map(
                  e ->
                      new Operation(
                          -1,
                          99,
                          Command.read(e.getKey()),
                          Operation.Outcome.OK,
                          e.getValue(),
                          false,
                          end,
                          end + 1))
              .toList();
      HistoryInvariants.Report r = HistoryInvariants.check(run.history(), finals);
      assertThat(r.ok()).as("seed %d: %s", seed, r.report()).isTrue();
    }
  }
}
