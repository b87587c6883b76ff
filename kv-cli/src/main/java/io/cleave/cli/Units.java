package io.cleave.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parsing of the human units options take: durations ({@code 500ms}) and sizes ({@code 64MiB}). */
final class Units {
  private static final Pattern NUMBER_AND_UNIT = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

  private Units() {}

  /** {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}; a bare number is seconds. */
  static Duration duration(String text) {
    Matcher m = match(text, "a duration such as 500ms, 5s or 1m");
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "ms" -> Duration.ofMillis(n);
          case "", "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> throw new TypeConversionException("unknown duration unit in '" + text + "'");
        };
    if (d.isZero()) {
      throw new TypeConversionException("duration must be positive: '" + text + "'");
    }
    return d;
  }

  /** A byte count: {@code 1048576}, {@code 512KiB}, {@code 64MiB}, {@code 1GiB}, or KB/MB/GB. */
  static long size(String text) {
    Matcher m = match(text, "a size such as 1048576, 64MiB or 1GB");
    long n = Long.parseLong(m.group(1));
    long unit =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "", "b" -> 1L;
          case "kb" -> 1_000L;
          case "mb" -> 1_000_000L;
          case "gb" -> 1_000_000_000L;
          case "k", "kib" -> 1L << 10;
          case "m", "mib" -> 1L << 20;
          case "g", "gib" -> 1L << 30;
          default -> throw new TypeConversionException("unknown size unit in '" + text + "'");
        };
    return Math.multiplyExact(n, unit);
  }

  private static Matcher match(String text, String expected) {
    Matcher m = NUMBER_AND_UNIT.matcher(text.trim());
    if (!m.matches()) {
      throw new TypeConversionException("expected " + expected + ", got '" + text + "'");
    }
    return m;
  }

  /** picocli converter for {@link #duration}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return duration(value);
    }
  }

  /** picocli converter for {@link #size}. */
  static final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return size(value);
    }
  }
}
