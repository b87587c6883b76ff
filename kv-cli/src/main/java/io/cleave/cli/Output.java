package io.cleave.cli;

import java.util.List;

/**
 * What a command prints, in a shape every {@link Printer} can render: a JSON document, a table
 * (with summary lines above it), and optionally the exact lines of the simple format.
 *
 * @param json the document {@code -w json} serializes (records, lists, maps)
 * @param summary lines printed above the table in the table and simple formats
 * @param headers the table's column names
 * @param rows the table's rows, one string per column
 * @param simple the lines of the simple format; when null, the summary then each row joined by
 *     {@code ", "}, as etcdctl prints lists
 */
public record Output(
    Object json,
    List<String> summary,
    List<String> headers,
    List<List<String>> rows,
    List<String> simple) {

  public Output {
    summary = List.copyOf(summary);
    headers = List.copyOf(headers);
    rows = rows.stream().map(List::copyOf).toList();
    simple = simple == null ? null : List.copyOf(simple);
  }

  /** A table, printed in the simple format as comma-separated rows. */
  public static Output table(
      Object json, List<String> summary, List<String> headers, List<List<String>> rows) {
    return new Output(json, summary, headers, rows, null);
  }

  /** One row of named values, whose simple form is {@code simple}. */
  public static Output row(
      Object json, List<String> headers, List<String> row, List<String> simple) {
    return new Output(json, List.of(), headers, List.of(row), simple);
  }

  /** The lines of the simple format. */
  List<String> simpleLines() {
    if (simple != null) {
      return simple;
    }
    List<String> lines = new java.util.ArrayList<>(summary);
    rows.forEach(r -> lines.add(String.join(", ", r)));
    return lines;
  }
}
