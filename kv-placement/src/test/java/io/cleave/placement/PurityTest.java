package io.cleave.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The policy stays pure: no I/O, clock, randomness or threads in main sources. A text check stands
 * in for an ArchUnit rule (ArchUnit is not among the build's dependencies yet).
 */
class PurityTest {
  private static final Pattern FORBIDDEN =
      Pattern.compile(
          "import java\\.(io|net|nio\\.file|util\\.concurrent)\\."
              + "|System\\.(currentTimeMillis|nanoTime|getenv|getProperty)"
              + "|Instant\\.now|Clock\\b|new Random|ThreadLocalRandom|Math\\.random|new Thread");

  @Test
  void mainSourcesDoNoIoReadNoClockAndDrawNoRandomNumbers() throws IOException {
    Path main = Path.of("src/main/java");
    List<String> offences;
    try (Stream<Path> files = Files.walk(main)) {
      offences =
          files.filter(p -> p.toString().endsWith(".java")).flatMap(PurityTest::offences).toList();
    }
    assertThat(offences).isEmpty();
  }

  private static Stream<String> offences(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return java.util.stream.IntStream.range(0, lines.size())
          .filter(i -> FORBIDDEN.matcher(lines.get(i)).find())
          .mapToObj(i -> file + ":" + (i + 1) + ": " + lines.get(i).trim());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
