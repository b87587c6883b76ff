package io.cleave.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Renders an {@link Output} in one format. Stateless; one instance per format. */
public interface Printer {

  /** Writes {@code output} to {@code out} and flushes. */
  void print(Output output, PrintWriter out);

  /** Plain lines, for people and for {@code $(cleave get ...)} in scripts. */
  final class Simple implements Printer {
    @Override
    public void print(Output output, PrintWriter out) {
      output.simpleLines().forEach(out::println);
      out.flush();
    }
  }

  /** Summary lines, then a bordered table, as etcdctl's table format. */
  final class Table implements Printer {
    @Override
    public void print(Output output, PrintWriter out) {
      output.summary().forEach(out::println);
      if (!output.headers().isEmpty()) {
        int[] widths = new int[output.headers().size()];
        List<List<String>> all = new ArrayList<>();
        all.add(output.headers());
        all.addAll(output.rows());
        for (List<String> row : all) {
          for (int i = 0; i < widths.length; i++) {
            widths[i] = Math.max(widths[i], cell(row, i).length());
          }
        }
        String rule = rule(widths);
        out.println(rule);
        out.println(line(output.headers(), widths));
        out.println(rule);
        output.rows().forEach(r -> out.println(line(r, widths)));
        out.println(rule);
      }
      out.flush();
    }

    private static String cell(List<String> row, int i) {
      return i < row.size() && row.get(i) != null ? row.get(i) : "";
    }

    private static String rule(int[] widths) {
      StringBuilder b = new StringBuilder("+");
      for (int w : widths) {
        b.append("-".repeat(w + 2)).append('+');
      }
      return b.toString();
    }

    private static String line(List<String> row, int[] widths) {
      StringBuilder b = new StringBuilder("|");
      for (int i = 0; i < widths.length; i++) {
        String c = cell(row, i);
        b.append(' ').append(c).append(" ".repeat(widths[i] - c.length())).append(" |");
      }
      return b.toString();
    }
  }

  /** The command's JSON document, indented, with snake_case names, for {@code jq}. */
  final class Json implements Printer {
    static final ObjectMapper MAPPER =
        new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public void print(Output output, PrintWriter out) {
      try {
        out.println(MAPPER.writeValueAsString(output.json()));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
      out.flush();
    }
  }
}
