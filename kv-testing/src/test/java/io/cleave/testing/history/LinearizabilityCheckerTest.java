package io.cleave.testing.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

  private static void assertLinearizable(Script s) {
    CheckResult r = s.check();
    assertThat(r.verdict()).as(r.report()).isEqualTo(Verdict.LINEARIZABLE);
  }

  private static CheckResult assertViolation(Script s) {
    CheckResult r = s.check();
    assertThat(r.verdict()).as(r.report()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    assertThat(r.problems()).hasSize(1);
    return r;
  }

  @Test
  void emptyHistoryIsLinearizable() {
    assertThat(LinearizabilityChecker.create().check(List.of()).verdict())
        .isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void acceptsSequentialHistory() {
    Script s = new Script();
    s.read(1, "k", null);
    s.write(1, "k", "a");
    s.read(2, "k", "a");
    s.write(2, "k", "b");
    s.read(1, "k", "b");
    s.delete(1, "k");
    s.read(2, "k", null);
    CheckResult r = s.check();
    assertThat(r.verdict()).isEqualTo(Verdict.LINEARIZABLE);
    assertThat(r.operationCount()).isEqualTo(7);
    assertThat(r.keys()).singleElement().satisfies(k -> assertThat(k.explanation()).isEmpty());
  }

  @Test
  void acceptsReadsSeeingEitherOfTwoConcurrentWrites() {
    for (String winner : List.of("a", "b")) {
      String loser = winner.equals("a") ? "b" : "a";
      Script s = new Script();
      History.Pending a = s.call(1, Command.write("k", "a"));
      History.Pending b = s.call(2, Command.write("k", "b"));
      s.read(3, "k", null);
      s.read(3, "k", loser);
      s.read(4, "k", winner);
      a.ok();
      b.ok();
      s.read(3, "k", winner);
      assertLinearizable(s);
    }
  }

  @Test
  void acceptsCasChainsAndOneWinnerOfConcurrentCas() {
    Script s = new Script();
    s.cas(1, "k", null, "1", true);
    s.cas(2, "k", null, "x", false);
    s.cas(1, "k", "1", "2", true);
    s.cas(2, "k", "1", "3", false);
    History.Pending x = s.call(1, Command.cas("k", "2", "3"));
    History.Pending y = s.call(2, Command.cas("k", "2", "4"));
    y.ok(false);
    x.ok(true);
    s.read(3, "k", "3");
    s.cas(1, "k", "3", null, true); // CAS to absent deletes
    s.read(3, "k", null);
    assertLinearizable(s);
  }

  @Test
  void acceptsUnknownWriteThatTookEffect() {
    Script s = new Script();
    s.write(1, "k", "a");
    s.call(2, Command.write("k", "b")).unknown();
    s.read(1, "k", "b");
    assertLinearizable(s);
  }

  @Test
  void acceptsUnknownWriteThatNeverTookEffect() {
    Script s = new Script();
    s.write(1, "k", "a");
    s.call(2, Command.write("k", "b")).unknown();
    s.read(1, "k", "a");
    s.read(1, "k", "a");
    assertLinearizable(s);
  }

  @Test
  void acceptsUnknownWriteThatTookEffectLongAfterTheClientGaveUp() {
    Script s = new Script();
    s.write(1, "k", "a");
    s.call(2, Command.write("k", "b")).unknown();
    s.read(1, "k", "a");
    s.write(1, "k", "c");
    s.read(1, "k", "c");
    s.read(1, "k", "b");
    assertLinearizable(s);
  }

  @Test
  void rejectsUnknownWriteSeenAndThenUnseen() {
    // An unknown write happens at most once: after b was seen, a cannot come back.
    Script s = new Script();
    s.write(1, "k", "a");
    s.call(2, Command.write("k", "b")).unknown();
    s.read(1, "k", "b");
    s.read(1, "k", "a");
    assertViolation(s);
  }

  @Test
  void ignoresFailedOperations() {
    Script s = new Script();
    s.write(1, "k", "a");
    s.call(2, Command.write("k", "b")).fail();
    s.call(2, Command.cas("k", "a", "c")).fail();
    s.call(2, Command.read("k")).fail();
    s.read(1, "k", "a");
    assertLinearizable(s);
  }

  @Test
  void acceptsDeletesConcurrentWithReads() {
    Script s = new Script();
    s.write(1, "k", "a");
    History.Pending del = s.call(2, Command.delete("k"));
    s.read(1, "k", "a");
    s.read(1, "k", null);
    del.ok();
    s.read(3, "k", null);
    s.call(2, Command.delete("k")).unknown();
    s.write(1, "k", "b");
    s.read(3, "k", "b");
    assertLinearizable(s);
  }

  @Test
  void rejectsStaleRead() {
    Script s = new Script();
    s.write(1, "k", "1");
    s.write(1, "k", "2");
    s.read(2, "k", "1");
    CheckResult r = assertViolation(s);
    String why = r.problems().get(0).explanation();
    assertThat(why)
        .contains("Longest linearizable prefix found: 2 operations")
        .contains("READ \"k\" OK saw \"1\"")
        .contains("read \"1\" but the register held \"2\"");
    assertThat(r.report()).contains("== key \"k\": NOT_LINEARIZABLE");
  }

  @Test
  void rejectsLostAcknowledgedWrite() {
    Script s = new Script();
    s.write(1, "k", "1");
    History.Pending lost = s.call(2, Command.write("k", "2"));
    s.read(1, "k", "1");
    lost.ok();
    s.read(1, "k", "1");
    s.read(3, "k", "1");
    String why = assertViolation(s).problems().get(0).explanation();
    assertThat(why).contains("WRITE \"k\" := \"2\" OK").contains("but the register held \"2\"");
  }

  @Test
  void rejectsReadOfNeverWrittenValue() {
    Script s = new Script();
    s.write(1, "k", "1");
    s.read(2, "k", "ghost");
    String why = assertViolation(s).problems().get(0).explanation();
    assertThat(why).contains("read \"ghost\" but the register held \"1\"");
  }

  @Test
  void rejectsCasSuccessThatContradictsState() {
    Script s = new Script();
    s.write(1, "k", "1");
    s.cas(2, "k", "0", "5", true);
    String why = assertViolation(s).problems().get(0).explanation();
    assertThat(why).contains("swap needs \"0\" but the register held \"1\"");
  }

  @Test
  void rejectsCasFailureThatContradictsState() {
    Script s = new Script();
    s.write(1, "k", "1");
    s.cas(2, "k", "1", "5", false);
    String why = assertViolation(s).problems().get(0).explanation();
    assertThat(why).contains("reported no swap but the register held the expected \"1\"");
  }

  @Test
  void rejectsTwoConcurrentCasSucceedingFromTheSameValue() {
    Script s = new Script();
    s.write(1, "k", "1");
    History.Pending x = s.call(1, Command.cas("k", "1", "2"));
    History.Pending y = s.call(2, Command.cas("k", "1", "3"));
    x.ok(true);
    y.ok(true);
    String why = assertViolation(s).problems().get(0).explanation();
    assertThat(why).contains("swap needs \"1\" but the register held");
  }

  @Test
  void reportsOnlyTheViolatingKey() {
    Script s = new Script();
    s.write(1, "good", "1");
    s.write(1, "bad", "1");
    s.write(1, "bad", "2");
    s.read(2, "good", "1");
    s.read(2, "bad", "1");
    CheckResult r = s.check();
    assertThat(r.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    assertThat(r.keyCount(Verdict.LINEARIZABLE)).isEqualTo(1);
    assertThat(r.problems()).extracting(CheckResult.KeyResult::key).containsExactly(key("bad"));
  }

  @Test
  void binaryKeysAndValuesAreComparedByContent() {
    Script s = new Script();
    Bytes key = Bytes.of(new byte[] {0, (byte) 0xff});
    s.call(1, Command.write(key, Bytes.of(new byte[] {1, 2}))).ok();
    s.call(2, Command.read(key)).ok(Bytes.of(new byte[] {1, 2}));
    assertLinearizable(s);
    s.call(2, Command.read(key)).ok(Bytes.of(new byte[] {1, 3}));
    assertThat(s.check().report()).contains("0x0103");
  }

  @Test
  void budgetExhaustionIsUnknownNeverAPass() {
    List<Operation> big =
        RegisterSimulator.builder().seed(7).clients(5).operations(3000).build().run().history();
    CheckResult tiny =
        LinearizabilityChecker.builder().perKeyBudget(Duration.ZERO).build().check(big);
    assertThat(tiny.verdict()).isEqualTo(Verdict.UNKNOWN);
    assertThat(tiny.problems().get(0).explanation()).contains("NOT a pass");
    CheckResult small =
        LinearizabilityChecker.builder().maxConfigurationsPerKey(10).build().check(big);
    assertThat(small.verdict()).isEqualTo(Verdict.UNKNOWN);
  }

  private static Bytes key(String k) {
    return Bytes.utf8(k);
  }
}
