package io.cleave.examples.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.QueryOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SortedSetTypeTest {
  private static final byte[] KEY = {'k'};
  private static final CommandContext CONTEXT = new CommandContext(1_700_000_000_000L, 42);

  private final SortedSetType type = new SortedSetType();

  private CommandOutcome<ZSet, ZResult> run(ZSet previous, ZCommand command) {
    return type.command(previous, previous == null ? 0 : previous.size(), KEY, command, CONTEXT);
  }

  private QueryOutcome<ZResult> ask(ZSet value, ZQuery query) {
    return type.query(value, value.size(), KEY, query);
  }

  private static ZSet set(Object... memberScore) {
    java.util.HashMap<String, Long> scores = new java.util.HashMap<>();
    for (int i = 0; i < memberScore.length; i += 2) {
      scores.put((String) memberScore[i], ((Number) memberScore[i + 1]).longValue());
    }
    return ZSet.of(scores);
  }

  @Test
  void addCreatesTheKeyAndReportsMembersChanged() {
    CommandOutcome<ZSet, ZResult> out =
        run(
            null,
            ZCommand.add(
                ZCommand.AddMode.ALWAYS, List.of(new ZEntry("bob", 20), new ZEntry("ann", 10))));
    assertThat(out.result().asLong()).isEqualTo(2);
    assertThat(out.nextValue().entries())
        .containsExactly(new ZEntry("ann", 10), new ZEntry("bob", 20));
    assertThat(out.nextSize()).isEqualTo(2);
    assertThat(out.load()).isEqualTo(2);

    CommandOutcome<ZSet, ZResult> again = run(out.nextValue(), ZCommand.add("ann", 10));
    assertThat(again.result().asLong()).as("same score is no change").isZero();
    assertThat(again.nextValue()).isSameAs(out.nextValue());

    CommandOutcome<ZSet, ZResult> moved = run(out.nextValue(), ZCommand.add("ann", 30));
    assertThat(moved.result().asLong()).isEqualTo(1);
    assertThat(moved.nextValue().entries())
        .containsExactly(new ZEntry("bob", 20), new ZEntry("ann", 30));
  }

  @Test
  void addModesChooseWhichMembersAreWritten() {
    ZSet start = set("ann", 10, "bob", 20);
    List<ZEntry> entries =
        List.of(new ZEntry("ann", 5), new ZEntry("bob", 25), new ZEntry("cy", 1));

    assertThat(run(start, ZCommand.add(ZCommand.AddMode.IF_ABSENT, entries)).nextValue())
        .isEqualTo(set("ann", 10, "bob", 20, "cy", 1));
    assertThat(run(start, ZCommand.add(ZCommand.AddMode.IF_PRESENT, entries)).nextValue())
        .isEqualTo(set("ann", 5, "bob", 25));
    CommandOutcome<ZSet, ZResult> higher =
        run(start, ZCommand.add(ZCommand.AddMode.IF_HIGHER, entries));
    assertThat(higher.nextValue()).isEqualTo(set("ann", 10, "bob", 25, "cy", 1));
    assertThat(higher.result().asLong()).isEqualTo(2);
  }

  @Test
  void commandThatWritesNothingToAMissingKeyLeavesItMissing() {
    CommandOutcome<ZSet, ZResult> out =
        run(null, ZCommand.add(ZCommand.AddMode.IF_PRESENT, List.of(new ZEntry("ann", 1))));
    assertThat(out.nextValue()).isNull();
    assertThat(out.result().asLong()).isZero();
    assertThat(run(null, ZCommand.remove("ann")).nextValue()).isNull();
  }

  @Test
  void removeCountsWhatWasThereAndDeletesAnEmptiedSet() {
    ZSet start = set("ann", 10, "bob", 20);
    CommandOutcome<ZSet, ZResult> out = run(start, ZCommand.remove(List.of("ann", "zed")));
    assertThat(out.result().asLong()).isEqualTo(1);
    assertThat(out.nextValue()).isEqualTo(set("bob", 20));
    assertThat(out.load()).isEqualTo(2);

    CommandOutcome<ZSet, ZResult> last = run(out.nextValue(), ZCommand.remove("bob"));
    assertThat(last.result().asLong()).isEqualTo(1);
    assertThat(last.nextValue()).as("no key holds an empty set").isNull();
  }

  @Test
  void incrByAddsOrCreatesAndRefusesOverflow() {
    CommandOutcome<ZSet, ZResult> created = run(null, ZCommand.incrBy("ann", 5));
    assertThat(created.result().asLong()).isEqualTo(5);
    CommandOutcome<ZSet, ZResult> added = run(created.nextValue(), ZCommand.incrBy("ann", -7));
    assertThat(added.result().asLong()).isEqualTo(-2);
    assertThat(added.nextValue()).isEqualTo(set("ann", -2));

    ZSet big = set("ann", Long.MAX_VALUE - 1);
    assertThatThrownBy(() -> run(big, ZCommand.incrBy("ann", 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overflow");
    assertThat(big).isEqualTo(set("ann", Long.MAX_VALUE - 1));
  }

  @Test
  void capacityIsEnforcedByRefusingTheCommand() {
    List<ZEntry> full = new ArrayList<>();
    for (int i = 0; i < SortedSetType.MAX_MEMBERS; i++) {
      full.add(new ZEntry("m" + i, i));
    }
    ZSet atCapacity = run(null, ZCommand.add(ZCommand.AddMode.ALWAYS, full)).nextValue();
    assertThat(atCapacity.size()).isEqualTo(SortedSetType.MAX_MEMBERS);
    assertThatThrownBy(() -> run(atCapacity, ZCommand.add("one-more", 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most");
    assertThat(run(atCapacity, ZCommand.add("m0", 99)).nextValue().size())
        .as("updating a member of a full set is fine")
        .isEqualTo(SortedSetType.MAX_MEMBERS);
  }

  @Test
  void commandsNeverMutateThePreviousValue() {
    ZSet start = set("ann", 10, "bob", 20);
    ZSet copy = set("ann", 10, "bob", 20);
    run(start, ZCommand.add("cy", 1));
    run(start, ZCommand.remove("ann"));
    run(start, ZCommand.incrBy("bob", 1));
    assertThat(start).isEqualTo(copy);
    assertThatThrownBy(() -> start.scores().put("x", 1L))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void queriesAnswerScoreRankAndRanges() {
    ZSet value = set("ann", 10, "bob", 20, "cy", 20, "dee", 40);
    assertThat(ask(value, ZQuery.score("bob")).result().asOptionalLong()).hasValue(20);
    assertThat(ask(value, ZQuery.score("zed")).result()).isEqualTo(new ZResult.Absent());
    assertThat(ask(value, ZQuery.rank("ann")).result().asLong()).isZero();
    assertThat(ask(value, ZQuery.rank("cy")).result().asLong()).as("ties by member").isEqualTo(2);
    assertThat(ask(value, ZQuery.reverseRank("dee")).result().asLong()).isZero();
    assertThat(ask(value, ZQuery.rank("zed")).result().asOptionalLong()).isEmpty();
    assertThat(ask(value, ZQuery.card()).result().asLong()).isEqualTo(4);

    QueryOutcome<ZResult> top2 = ask(value, ZQuery.reverseRange(0, 2));
    assertThat(top2.result().asEntries())
        .containsExactly(new ZEntry("dee", 40), new ZEntry("cy", 20));
    assertThat(top2.load()).isEqualTo(3);
    assertThat(ask(value, ZQuery.range(1, 10)).result().asEntries())
        .extracting(ZEntry::member)
        .containsExactly("bob", "cy", "dee");
    assertThat(ask(value, ZQuery.range(9, 10)).result().asEntries()).isEmpty();
    assertThat(ask(value, ZQuery.rangeByScore(15, 40, 2)).result().asEntries())
        .extracting(ZEntry::member)
        .containsExactly("bob", "cy");
    assertThat(ask(value, ZQuery.rangeByScore(41, 100, 5)).result().asEntries()).isEmpty();
  }

  @Test
  void invalidArgumentsAreRefusedWhenBuilt() {
    assertThatThrownBy(() -> ZCommand.add("", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZCommand.add("x".repeat(SortedSetType.MAX_MEMBER_BYTES + 1), 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZCommand.add("é".repeat(SortedSetType.MAX_MEMBER_BYTES / 2 + 1), 1))
        .as("the limit is in bytes, not chars")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZCommand.add("\uD800", 1))
        .as("lone surrogate has no UTF-8")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZCommand.remove(List.of("a", "a")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZCommand.remove(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZQuery.range(-1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZQuery.range(0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZQuery.rangeByScore(2, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ZSet.of(Map.of("", 1L))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resultAccessorsRefuseTheWrongKind() {
    assertThatThrownBy(() -> new ZResult.Absent().asLong())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new ZResult.Number(1).asEntries())
        .isInstanceOf(IllegalStateException.class);
  }
}
