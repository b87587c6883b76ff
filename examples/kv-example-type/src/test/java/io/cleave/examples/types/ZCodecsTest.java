package io.cleave.examples.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cleave.api.Codec;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ZCodecsTest {
  private final SortedSetType type = new SortedSetType();

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  private static <T> void assertRoundTrip(Codec<T> codec, T value) {
    byte[] bytes = codec.encode(value);
    T decoded = codec.decode(bytes);
    assertThat(decoded).isEqualTo(value);
    assertThat(codec.encode(decoded)).as("one encoding per value").isEqualTo(bytes);
  }

  @Test
  void commandsRoundTrip() {
    List<ZCommand> commands =
        List.of(
            ZCommand.add("ann", 0),
            ZCommand.add("ünïcødé \uD83D\uDE00", Long.MIN_VALUE),
            ZCommand.add(
                ZCommand.AddMode.IF_HIGHER,
                List.of(new ZEntry("a", Long.MAX_VALUE), new ZEntry("b", -1))),
            ZCommand.add(ZCommand.AddMode.IF_ABSENT, List.of(new ZEntry("a", 1))),
            ZCommand.add(ZCommand.AddMode.IF_PRESENT, List.of(new ZEntry("a", 1))),
            ZCommand.remove(List.of("a", "b", "c")),
            ZCommand.incrBy("x".repeat(SortedSetType.MAX_MEMBER_BYTES), -5));
    commands.forEach(c -> assertRoundTrip(type.commandCodec(), c));
  }

  @Test
  void queriesRoundTrip() {
    List<ZQuery> queries =
        List.of(
            ZQuery.score("ann"),
            ZQuery.rank("ann"),
            ZQuery.reverseRank("ann"),
            ZQuery.range(0, 1),
            ZQuery.reverseRange(SortedSetType.MAX_MEMBERS - 1, SortedSetType.MAX_MEMBERS),
            ZQuery.rangeByScore(Long.MIN_VALUE, Long.MAX_VALUE, 7),
            ZQuery.card());
    queries.forEach(q -> assertRoundTrip(type.queryCodec(), q));
  }

  @Test
  void resultsAndValuesRoundTrip() {
    assertRoundTrip(type.resultCodec(), new ZResult.Number(-123456789L));
    assertRoundTrip(type.resultCodec(), new ZResult.Absent());
    assertRoundTrip(type.resultCodec(), new ZResult.Entries(List.of()));
    assertRoundTrip(
        type.resultCodec(), new ZResult.Entries(List.of(new ZEntry("b", 2), new ZEntry("a", 1))));
    assertRoundTrip(type.valueCodec(), ZSet.of(Map.of("ann", 10L, "bob", -20L, "cy", 10L)));
  }

  @Test
  void encodingIsCompactAndPinned() {
    // Stored values outlive the jar that wrote them: this pins format 1 byte for byte.
    ZSet value = ZSet.of(Map.of("b", 1L, "a", -1L));
    assertThat(type.valueCodec().encode(value)).isEqualTo(hex("01 02 0161 01 0162 02"));
    assertThat(type.commandCodec().encode(ZCommand.incrBy("a", 300)))
        .isEqualTo(hex("03 0161 d804"));
    assertThat(type.queryCodec().encode(ZQuery.reverseRange(0, 10))).isEqualTo(hex("03 00 0a 01"));
    assertThat(type.resultCodec().encode(new ZResult.Absent())).isEqualTo(hex("02"));
  }

  static Stream<Arguments> malformedCommands() {
    return Stream.of(
        Arguments.of("empty", ""),
        Arguments.of("unknown tag", "09"),
        Arguments.of("unknown add mode", "01 07 01 0161 02"),
        Arguments.of("zero members", "01 00 00"),
        Arguments.of("truncated entry", "01 00 01 0161"),
        Arguments.of("string past the end", "03 05 61 02"),
        Arguments.of("trailing bytes", "03 0161 02 00"),
        Arguments.of("overlong varint", "03 0161 8000"),
        Arguments.of("varint over 64 bits", "03 0161 ffffffffffffffffff7f"),
        Arguments.of("malformed UTF-8", "03 02c328 02"),
        Arguments.of("empty member", "03 00 02"),
        Arguments.of("member too long", "03 8101" + "61".repeat(129) + "02"),
        Arguments.of("duplicate member", "02 02 0161 0161"),
        Arguments.of("count over the limit", "02 ffffffff0f"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedCommands")
  void malformedCommandsAreRefused(String why, String bytes) {
    assertThatThrownBy(() -> type.commandCodec().decode(hex(bytes)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedValuesQueriesAndResultsAreRefused() {
    List<String> values =
        List.of(
            "02 00", // unknown format
            "01 02 0162 02 0161 02", // out of rank order
            "01 02 0161 02 0161 04", // member twice
            "01 01 0161"); // truncated
    for (String bytes : values) {
      assertThatThrownBy(() -> type.valueCodec().decode(hex(bytes)))
          .as(bytes)
          .isInstanceOf(IllegalArgumentException.class);
    }
    List<String> queries =
        List.of(
            "", "06", "02 0161 02", "03 00 00 00", "04 04 02 01", "05 00", "03 8080808010 01 00");
    for (String bytes : queries) {
      assertThatThrownBy(() -> type.queryCodec().decode(hex(bytes)))
          .as(bytes)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> type.resultCodec().decode(hex("04")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> type.commandCodec().decode(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
