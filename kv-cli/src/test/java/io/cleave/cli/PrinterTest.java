package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.cli.Views.ShardView;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One printer per format, rendering the same {@link Output}. */
class PrinterTest {
  private static final ShardView SHARD =
      new ShardView(7, "", "7fff", 3, List.of("n1", "n2"), "n2", 10L, 2048L, 1.5);

  private static final Output SHARDS =
      Output.table(
          SHARD, List.of("keyspace: users"), ShardView.HEADERS, Views.rows(List.of(SHARD)));

  private static String print(OutputFormat format, Output output) {
    StringWriter out = new StringWriter();
    format.printer().print(output, new PrintWriter(out));
    return out.toString();
  }

  @Test
  void tableHasBordersAndPaddedColumns() {
    assertThat(print(OutputFormat.table, SHARDS).lines())
        .containsExactly(
            "keyspace: users",
            "+-------+-------+------+-------+----------+--------+------+------+",
            "| SHARD | START | END  | EPOCH | REPLICAS | LEADER | KEYS | SIZE |",
            "+-------+-------+------+-------+----------+--------+------+------+",
            "| 7     | -     | 7fff | 3     | n1 n2    | n2     | 10   | 2048 |",
            "+-------+-------+------+-------+----------+--------+------+------+");
  }

  @Test
  void simpleIsTheSummaryThenCommaSeparatedRows() {
    assertThat(print(OutputFormat.simple, SHARDS).lines())
        .containsExactly("keyspace: users", "7, -, 7fff, 3, n1 n2, n2, 10, 2048");
  }

  @Test
  void simpleLinesWinWhenGiven() {
    Output get =
        Output.row("{}", List.of("KEY", "VALUE"), List.of("hello", "world"), List.of("world"));
    assertThat(print(OutputFormat.simple, get)).isEqualTo("world" + System.lineSeparator());
  }

  @Test
  void jsonIsSnakeCaseAndLeavesOutNulls() {
    String json = print(OutputFormat.json, SHARDS);
    assertThat(json)
        .contains("\"id\" : 7")
        .contains("\"start\" : \"\"")
        .contains("\"end\" : \"7fff\"")
        .contains("\"replicas\" : [ \"n1\", \"n2\" ]")
        .contains("\"leader\" : \"n2\"")
        .contains("\"key_count\" : 10")
        .contains("\"load_per_second\" : 1.5");
    ShardView noStats = new ShardView(8, "", "", 1, List.of(), "", null, null, null);
    assertThat(print(OutputFormat.json, Output.table(noStats, List.of(), List.of(), List.of())))
        .doesNotContain("key_count")
        .doesNotContain("size");
  }
}
