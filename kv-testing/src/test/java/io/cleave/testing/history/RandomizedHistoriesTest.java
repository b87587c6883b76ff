package io.cleave.testing.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RandomizedHistoriesTest {
  private static final LinearizabilityChecker CHECKER =
      LinearizabilityChecker.builder().perKeyBudget(Duration.ofSeconds(20)).build();

  @Test
  void simulatedLinearizableHistoriesAreAlwaysAccepted() {
    for (long seed = 0; seed < 300; seed++) {
      Random rnd = new Random(seed);
      List<Operation> history = simulate(seed, rnd);
      CheckResult r = CHECKER.check(history);
      assertThat(r.verdict()).as("seed %d\n%s", seed, r.report()).isEqualTo(Verdict.LINEARIZABLE);
      assertThat(HistoryInvariants.check(history, List.of()).ok()).as("seed %d", seed).isTrue();
    }
  }

  @Test
  void oneImpossibleReadMakesASimulatedHistoryRejected() {
    int mutated = 0;
    for (long seed = 0; seed < 200; seed++) {
      Random rnd = new Random(seed);
      List<Operation> history = simulate(seed, rnd);
      List<Operation> broken = mutateOneRead(history, rnd);
      if (broken == null) {
        continue;
      }
      mutated++;
      CheckResult r = CHECKER.check(broken);
      assertThat(r.verdict())
          .as("seed %d\n%s", seed, r.report())
          .isEqualTo(Verdict.NOT_LINEARIZABLE);
      assertThat(r.problems())
          .singleElement()
          .satisfies(k -> assertThat(k.explanation()).contains("Could not place next"));
    }
    assertThat(mutated).isGreaterThan(170);
  }

  @Test
  void agreesWithBruteForceOnTinyHistoriesWithRandomResults() {
    int rejected = 0;
    for (long seed = 0; seed < 5000; seed++) {
      Random rnd = new Random(seed);
      List<Operation> history =
          RegisterSimulator.builder()
              .seed(seed)
              .clients(1 + rnd.nextInt(4))
              .operations(1 + rnd.nextInt(10))
              .unknownRate(rnd.nextDouble() * 0.4)
              .failRate(0.05)
              .build()
              .run()
              .history();
      List<Operation> scrambled = scrambleResults(history, rnd);
      boolean expected = BruteForceOracle.linearizable(scrambled);
      CheckResult r = CHECKER.check(scrambled);
      assertThat(r.verdict())
          .as("seed %d: %s\n%s", seed, scrambled, r.report())
          .isEqualTo(expected ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE);
      rejected += expected ? 0 : 1;
    }
    // Both answers must be well represented, or the comparison proves little.
    assertThat(rejected).isBetween(500, 4500);
  }

  @Test
  void fiveThousandOperationsOnOneKeyWithFiveClientsCheckQuickly() {
    List<Operation> history =
        RegisterSimulator.builder()
            .seed(42)
            .clients(5)
            .operations(5000)
            .unknownRate(0.03)
            .failRate(0.02)
            .build()
            .run()
            .history();
    long start = System.nanoTime();
    CheckResult r =
        LinearizabilityChecker.builder()
            .perKeyBudget(Duration.ofSeconds(60))
            .build()
            .check(history);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.verdict()).as(r.report()).isEqualTo(Verdict.LINEARIZABLE);
    assertThat(r.operationCount()).isEqualTo(5000);
    System.out.printf(
        "5000 ops, 5 clients: %d ms, %d configurations, %d unknown%n",
        millis, r.keys().get(0).explored(), r.keys().get(0).unknownOperations());
  }

  private static List<Operation> simulate(long seed, Random rnd) {
    return RegisterSimulator.builder()
        .seed(seed)
        .clients(2 + rnd.nextInt(5))
        .operations(50 + rnd.nextInt(250))
        .keys(1 + rnd.nextInt(3))
        .unknownRate(rnd.nextDouble() * 0.15)
        .failRate(rnd.nextDouble() * 0.05)
        .build()
        .run()
        .history();
  }

  /**
   * Replaces one OK read's value by one that no linearization can make current in its window: a
   * value written only after the read ended, one overwritten by an acknowledged write that ended
   * before the read began (values are unique), or one never written.
   */
  static List<Operation> mutateOneRead(List<Operation> history, Random rnd) {
    List<Operation> reads =
        history.stream()
            .filter(o -> o.type() == Command.Type.READ && o.outcome() == Operation.Outcome.OK)
            .toList();
    if (reads.isEmpty()) {
      return null;
    }
    Operation read = reads.get(rnd.nextInt(reads.size()));
    List<Bytes> impossible = new ArrayList<>();
    impossible.add(Bytes.utf8("never-written"));
    for (Operation w : history) {
      if (!w.key().equals(read.key()) || !w.possibleMutation() || w.writtenValue() == null) {
        continue;
      }
      if (w.invokeNanos() > read.completeNanos()) {
        impossible.add(w.writtenValue());
      } else if (w.acknowledgedMutation() && overwrittenBefore(history, w, read)) {
        impossible.add(w.writtenValue());
      }
    }
    impossible.remove(read.observed());
    Bytes value = impossible.get(rnd.nextInt(impossible.size()));
    List<Operation> out = new ArrayList<>(history);
    out.set(
        out.indexOf(read),
        new Operation(
            read.id(),
            read.clientId(),
            read.command(),
            read.outcome(),
            value,
            false,
            read.invokeNanos(),
            read.completeNanos()));
    return out;
  }

  private static boolean overwrittenBefore(List<Operation> history, Operation w, Operation read) {
    return history.stream()
        .anyMatch(
            o ->
                o.key().equals(w.key())
                    && o.acknowledgedMutation()
                    && o.invokeNanos() > w.completeNanos()
                    && o.completeNanos() < read.invokeNanos());
  }

  /** Randomly rewrites read values and CAS answers, producing both legal and illegal histories. */
  private static List<Operation> scrambleResults(List<Operation> history, Random rnd) {
    List<Bytes> values = new ArrayList<>();
    values.add(null);
    history.stream().map(o -> o.command().value()).filter(v -> v != null).forEach(values::add);
    List<Operation> out = new ArrayList<>();
    for (Operation o : history) {
      if (o.outcome() != Operation.Outcome.OK || rnd.nextInt(3) != 0) {
        out.add(o);
      } else if (o.type() == Command.Type.READ) {
        out.add(withResult(o, values.get(rnd.nextInt(values.size())), false));
      } else if (o.type() == Command.Type.CAS) {
        out.add(withResult(o, null, !o.casSucceeded()));
      } else {
        out.add(o);
      }
    }
    return out;
  }

  private static Operation withResult(Operation o, Bytes observed, boolean swapped) {
    return new Operation(
        o.id(),
        o.clientId(),
        o.command(),
        o.outcome(),
        observed,
        swapped,
        o.invokeNanos(),
        o.completeNanos());
  }
}
