package io.cleave.testing.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * JSON Lines form of a history: one operation a line, so a failed chaos run can be attached to the
 * build and re-checked (or bisected by hand) without re-running the cluster.
 *
 * <p>Each line has {@code id, client, type, key, value, expected, outcome, observed, casSucceeded,
 * invokeNanos, completeNanos}. Keys and values are JSON strings when they are readable UTF-8 and
 * {@code {"hex": "..."}} otherwise; absent is {@code null}. {@code completeNanos} is {@code null}
 * for {@code UNKNOWN} (+∞).
 */
public final class HistoryJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private HistoryJson() {}

  /** Writes {@code operations} one a line, in the given order. */
  public static void write(Collection<Operation> operations, Writer out) throws IOException {
    for (Operation op : operations) {
      out.write(toLine(op));
      out.write('\n');
    }
    out.flush();
  }

  /** The JSON object for one operation, without a newline. */
  public static String toLine(Operation op) {
    ObjectNode n = NODES.objectNode();
    n.put("id", op.id());
    n.put("client", op.clientId());
    n.put("type", op.type().name());
    n.set("key", bytes(op.key()));
    n.set("value", bytes(op.command().value()));
    n.set("expected", bytes(op.command().expected()));
    n.put("outcome", op.outcome().name());
    n.set("observed", bytes(op.observed()));
    n.put("casSucceeded", op.casSucceeded());
    n.put("invokeNanos", op.invokeNanos());
    if (op.completeNanos() == Long.MAX_VALUE) {
      n.putNull("completeNanos");
    } else {
      n.put("completeNanos", op.completeNanos());
    }
    try {
      return MAPPER.writeValueAsString(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a history written by {@link #write}; blank lines are skipped. */
  public static List<Operation> read(Reader in) throws IOException {
    List<Operation> ops = new ArrayList<>();
    BufferedReader lines = new BufferedReader(in);
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      if (!line.isBlank()) {
        ops.add(fromLine(line));
      }
    }
    return ops;
  }

  /** Reads a JSON Lines file written by {@link History#writeJsonLines(Path)}. */
  public static List<Operation> read(Path file) throws IOException {
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(in);
    }
  }

  /** Parses one line written by {@link #toLine}. */
  public static Operation fromLine(String line) throws IOException {
    JsonNode n = MAPPER.readTree(line);
    Command command =
        new Command(
            Command.Type.valueOf(n.get("type").asText()),
            bytes(n.get("key")),
            bytes(n.get("value")),
            bytes(n.get("expected")));
    JsonNode complete = n.get("completeNanos");
    return new Operation(
        n.get("id").asLong(),
        n.get("client").asInt(),
        command,
        Operation.Outcome.valueOf(n.get("outcome").asText()),
        bytes(n.get("observed")),
        n.path("casSucceeded").asBoolean(false),
        n.get("invokeNanos").asLong(),
        complete == null || complete.isNull() ? Long.MAX_VALUE : complete.asLong());
  }

  private static JsonNode bytes(Bytes b) {
    if (b == null) {
      return NODES.nullNode();
    }
    String text = b.utf8OrNull();
    return text != null ? NODES.textNode(text) : NODES.objectNode().put("hex", b.toHex());
  }

  private static Bytes bytes(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    return n.isTextual() ? Bytes.utf8(n.asText()) : Bytes.fromHex(n.get("hex").asText());
  }
}
