package io.cleave.cli;

import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.Consistency;
import io.cleave.client.ReadOptions;
import io.cleave.client.ScanEntry;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cleave scan KEYSPACE [START] [END] [--prefix] [--limit N] [--stale] [--keys-only]}: the
 * keys of a range-partitioned keyspace in key order, from START (inclusive) to END (exclusive), as
 * etcdctl's {@code get --from-key} and {@code get --prefix}. Finding nothing is not a failure; a
 * hash-partitioned keyspace is (FAILED_PRECONDITION, from the node).
 */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    description =
        "Prints the keys of range-partitioned KEYSPACE from START (inclusive) to END (exclusive),"
            + " in key order, with their values.")
final class ScanCommand extends ClientCommand {
  @Parameters(
      index = "0",
      paramLabel = "KEYSPACE",
      description = "The keyspace; it must be range-partitioned.")
  String keyspace;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "START",
      description =
          "First key, as UTF-8 text (default: the keyspace's first key); with --prefix, the prefix.")
  String start = "";

  @Parameters(
      index = "2",
      arity = "0..1",
      paramLabel = "END",
      description = "Key to stop before, as UTF-8 text (default: no end).")
  String end = "";

  @Option(names = "--prefix", description = "Scan the keys that start with START (takes no END).")
  boolean prefix;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "100",
      description = "Most keys to print (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--stale",
      description = "Read from any replica: cheaper, but may miss recent writes.")
  boolean stale;

  @Option(names = "--keys-only", description = "Print the keys without their values.")
  boolean keysOnly;

  /** One key of the JSON answer; {@code value} is null, so left out, with --keys-only. */
  record Entry(String key, String value, long version) {}

  /** The key range {@code [start, end)} to scan; an empty end is no bound. */
  record Range(Bytes start, Bytes end) {}

  /** The range the arguments ask for; throws {@link CliException} for a contradictory one. */
  Range range() {
    if (limit < 1) {
      throw new CliException("--limit must be at least 1, got " + limit);
    }
    Bytes from = KeyArgs.bytes(start);
    if (prefix) {
      if (!end.isEmpty()) {
        throw new CliException("--prefix takes START only, not END '" + end + "'");
      }
      return new Range(from, prefixEnd(from));
    }
    Bytes to = KeyArgs.bytes(end);
    // The client refuses this too, but in its own words ("scan end"); name the arguments.
    if (!to.isEmpty() && from.compareTo(to) >= 0) {
      throw new CliException("END '" + end + "' must come after START '" + start + "'");
    }
    return new Range(from, to);
  }

  /**
   * The smallest key after every key that starts with {@code prefix}: the prefix with its last byte
   * that is not 0xFF incremented and the bytes after it dropped (etcd's {@code GetPrefixRangeEnd}).
   * Empty, meaning no end, when the prefix is empty or all 0xFF: then every key from the prefix on
   * starts with it.
   */
  static Bytes prefixEnd(Bytes prefix) {
    byte[] b = prefix.toByteArray();
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(b, i + 1);
        end[i]++;
        return Bytes.of(end);
      }
    }
    return Bytes.EMPTY;
  }

  @Override
  Output run(CleaveClient client) {
    Range range = range();
    ReadOptions options =
        ReadOptions.builder()
            .consistency(stale ? Consistency.STALE : Consistency.LINEARIZABLE)
            .build();
    List<ScanEntry> found =
        client.blocking().scan(keyspace, range.start(), range.end(), limit, options);
    return output(found, keysOnly);
  }

  /** The answer for {@code found}: one simple line and one table row per key. */
  static Output output(List<ScanEntry> found, boolean keysOnly) {
    List<Entry> entries =
        found.stream()
            .map(
                e -> new Entry(e.key().toUtf8(), keysOnly ? null : e.value().toUtf8(), e.version()))
            .toList();
    List<String> headers =
        keysOnly ? List.of("KEY", "VERSION") : List.of("KEY", "VALUE", "VERSION");
    List<List<String>> rows =
        entries.stream()
            .map(
                e ->
                    keysOnly
                        ? List.of(e.key(), String.valueOf(e.version()))
                        : List.of(e.key(), e.value(), String.valueOf(e.version())))
            .toList();
    List<String> simple =
        entries.stream().map(e -> keysOnly ? e.key() : e.key() + " " + e.value()).toList();
    return new Output(entries, List.of(), headers, rows, simple);
  }
}
