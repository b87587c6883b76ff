package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cleave.client.Bytes;
import io.cleave.client.ScanEntry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code cleave scan}'s arguments, prefix ranges and output, without a cluster. */
class ScanCommandTest {

  /** The scan command after parsing {@code cleave scan args...}. */
  private static ScanCommand scan(String... args) {
    CommandLine cli =
        CleaveCli.commandLine(
            new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    String[] all = new String[args.length + 1];
    all[0] = "scan";
    System.arraycopy(args, 0, all, 1, args.length);
    cli.parseArgs(all);
    return cli.getSubcommands().get("scan").getCommand();
  }

  private static Bytes bytes(int... b) {
    byte[] a = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      a[i] = (byte) b[i];
    }
    return Bytes.of(a);
  }

  private static String print(OutputFormat format, Output output) {
    StringWriter out = new StringWriter();
    format.printer().print(output, new PrintWriter(out));
    return out.toString();
  }

  @Test
  void prefixEndIncrementsTheLastByteBelowFf() {
    assertThat(ScanCommand.prefixEnd(Bytes.utf8("user/"))).isEqualTo(Bytes.utf8("user0"));
    assertThat(ScanCommand.prefixEnd(bytes(0x61))).isEqualTo(bytes(0x62));
    // Bytes are unsigned: 0x7f goes to 0x80, 0xfe to 0xff.
    assertThat(ScanCommand.prefixEnd(bytes(0x7f))).isEqualTo(bytes(0x80));
    assertThat(ScanCommand.prefixEnd(bytes(0x01, 0xfe))).isEqualTo(bytes(0x01, 0xff));
    // Trailing 0xff bytes are dropped and the byte before them incremented.
    assertThat(ScanCommand.prefixEnd(bytes(0x61, 0xff, 0xff))).isEqualTo(bytes(0x62));
    assertThat(ScanCommand.prefixEnd(bytes(0x00, 0xff))).isEqualTo(bytes(0x01));
    // Nothing to increment: no end.
    assertThat(ScanCommand.prefixEnd(bytes(0xff, 0xff))).isEqualTo(Bytes.EMPTY);
    assertThat(ScanCommand.prefixEnd(Bytes.EMPTY)).isEqualTo(Bytes.EMPTY);
  }

  @Test
  void defaultsScanTheWholeKeyspaceLinearizablyUpTo100Keys() {
    ScanCommand scan = scan("users");
    assertThat(scan.keyspace).isEqualTo("users");
    assertThat(scan.limit).isEqualTo(100);
    assertThat(scan.stale).isFalse();
    assertThat(scan.keysOnly).isFalse();
    assertThat(scan.range()).isEqualTo(new ScanCommand.Range(Bytes.EMPTY, Bytes.EMPTY));
  }

  @Test
  void startAndEndAreUtf8Keys() {
    assertThat(scan("users", "b").range())
        .isEqualTo(new ScanCommand.Range(Bytes.utf8("b"), Bytes.EMPTY));
    assertThat(scan("users", "b", "é").range())
        .isEqualTo(new ScanCommand.Range(Bytes.utf8("b"), Bytes.utf8("é")));
    // An empty START is the keyspace's first key.
    assertThat(scan("users", "", "m").range())
        .isEqualTo(new ScanCommand.Range(Bytes.EMPTY, Bytes.utf8("m")));
  }

  @Test
  void prefixScansTheKeysStartingWithStart() {
    assertThat(scan("users", "user/", "--prefix").range())
        .isEqualTo(new ScanCommand.Range(Bytes.utf8("user/"), Bytes.utf8("user0")));
    // No prefix: every key.
    assertThat(scan("users", "--prefix").range())
        .isEqualTo(new ScanCommand.Range(Bytes.EMPTY, Bytes.EMPTY));
  }

  @Test
  void optionsAreParsed() {
    ScanCommand scan = scan("users", "a", "--limit", "5", "--stale", "--keys-only", "-w", "json");
    assertThat(scan.limit).isEqualTo(5);
    assertThat(scan.stale).isTrue();
    assertThat(scan.keysOnly).isTrue();
    assertThat(((CleaveCli) scan.spec.root().userObject()).format()).isEqualTo(OutputFormat.json);
  }

  @Test
  void contradictoryArgumentsAreRefusedBeforeAnyCall() {
    assertThatThrownBy(() -> scan("users", "a", "--limit", "0").range())
        .isInstanceOf(CliException.class)
        .hasMessage("--limit must be at least 1, got 0");
    assertThatThrownBy(() -> scan("users", "a", "b", "--prefix").range())
        .isInstanceOf(CliException.class)
        .hasMessageContaining("--prefix takes START only");
    assertThatThrownBy(() -> scan("users", "b", "a").range())
        .isInstanceOf(CliException.class)
        .hasMessage("END 'a' must come after START 'b'");
    assertThatThrownBy(() -> scan("users", "b", "b").range()).isInstanceOf(CliException.class);

    // Through the command line: exit 1 and one line, as other invalid values.
    CliRun run = CliRun.of("scan", "users", "b", "a");
    assertThat(run.exitCode()).isEqualTo(CleaveCli.EXIT_FAILURE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip()).isEqualTo("Error: END 'a' must come after START 'b'");
  }

  @Test
  void usageErrorsExitTwo() {
    CliRun missing = CliRun.of("scan");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required parameter: 'KEYSPACE'");

    CliRun tooMany = CliRun.of("scan", "users", "a", "b", "c");
    assertThat(tooMany.exitCode()).isEqualTo(2);

    CliRun badLimit = CliRun.of("scan", "users", "--limit", "many");
    assertThat(badLimit.exitCode()).isEqualTo(2);
    assertThat(badLimit.err()).contains("--limit");
  }

  private static final List<ScanEntry> FOUND =
      List.of(
          new ScanEntry(Bytes.utf8("apple"), Bytes.utf8("red"), 1),
          new ScanEntry(Bytes.utf8("banana"), Bytes.utf8("yellow"), 3));

  @Test
  void simpleIsOneLinePerKey() {
    assertThat(print(OutputFormat.simple, ScanCommand.output(FOUND, false)).lines())
        .containsExactly("apple red", "banana yellow");
    assertThat(print(OutputFormat.simple, ScanCommand.output(FOUND, true)).lines())
        .containsExactly("apple", "banana");
    assertThat(print(OutputFormat.simple, ScanCommand.output(List.of(), false))).isEmpty();
  }

  @Test
  void tableHasKeyValueAndVersion() {
    assertThat(print(OutputFormat.table, ScanCommand.output(FOUND, false)).lines())
        .containsExactly(
            "+--------+--------+---------+",
            "| KEY    | VALUE  | VERSION |",
            "+--------+--------+---------+",
            "| apple  | red    | 1       |",
            "| banana | yellow | 3       |",
            "+--------+--------+---------+");
    assertThat(print(OutputFormat.table, ScanCommand.output(FOUND, true)))
        .contains("| KEY    | VERSION |")
        .doesNotContain("VALUE");
  }

  @Test
  void jsonIsAnArrayOfEntries() throws Exception {
    var json =
        Printer.Json.MAPPER.readTree(print(OutputFormat.json, ScanCommand.output(FOUND, false)));
    assertThat(json.isArray()).isTrue();
    assertThat(json).hasSize(2);
    assertThat(json.get(1).path("key").asText()).isEqualTo("banana");
    assertThat(json.get(1).path("value").asText()).isEqualTo("yellow");
    assertThat(json.get(1).path("version").asLong()).isEqualTo(3);
    // --keys-only leaves the values out.
    assertThat(print(OutputFormat.json, ScanCommand.output(FOUND, true)))
        .contains("\"key\" : \"apple\"")
        .doesNotContain("value");
    assertThat(print(OutputFormat.json, ScanCommand.output(List.of(), false)).strip())
        .isEqualTo("[ ]");
  }
}
