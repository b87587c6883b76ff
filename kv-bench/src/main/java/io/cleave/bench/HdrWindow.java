package io.cleave.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * What one operation of a YCSB run measured after its first seconds, read from the interval
 * histograms YCSB logs with {@code -p hdrhistogram.fileoutput=true} (one interval per status
 * report). bench/ycsb.sh leaves those first seconds out: each run is a fresh YCSB JVM, and on 2
 * cores its JIT compiler competes with the system under test for a while (session 10 measured the
 * second 10 s of a 20 s run 1.4-1.7x faster than the first, for every system).
 *
 * <p>Usage: {@code HdrWindow FROM_SECONDS FILE.hdr...}. One tab-separated line per file: the file
 * name, operations, the window's length in seconds (from the first interval's start to the last
 * one's end), and the 50th, 99th and 99.9th percentile latency in the log's unit (YCSB records
 * microseconds).
 */
public final class HdrWindow {
  /** The intervals of one log that start at or after the window's start, merged. */
  record Window(long operations, double seconds, long p50, long p99, long p999) {}

  private HdrWindow() {}

  /** The intervals of {@code log} starting {@code fromSeconds} or later after the log's start. */
  static Window read(Path log, double fromSeconds) throws IOException {
    Histogram merged = null;
    long firstStartMillis = Long.MAX_VALUE;
    long lastEndMillis = Long.MIN_VALUE;
    try (HistogramLogReader reader = new HistogramLogReader(log.toFile())) {
      EncodableHistogram interval;
      while ((interval = reader.nextIntervalHistogram(fromSeconds, Double.MAX_VALUE)) != null) {
        Histogram histogram = (Histogram) interval;
        if (merged == null) {
          merged = new Histogram(histogram.getNumberOfSignificantValueDigits());
        }
        merged.add(histogram);
        firstStartMillis = Math.min(firstStartMillis, histogram.getStartTimeStamp());
        lastEndMillis = Math.max(lastEndMillis, histogram.getEndTimeStamp());
      }
    }
    if (merged == null) {
      return new Window(0, 0, 0, 0, 0);
    }
    return new Window(
        merged.getTotalCount(),
        (lastEndMillis - firstStartMillis) / 1000.0,
        merged.getValueAtPercentile(50),
        merged.getValueAtPercentile(99),
        merged.getValueAtPercentile(99.9));
  }

  public static void main(String[] args) {
    double fromSeconds = Double.parseDouble(args[0]);
    for (int i = 1; i < args.length; i++) {
      Path log = Path.of(args[i]);
      try {
        Window w = read(log, fromSeconds);
        System.out.printf(
            "%s\t%d\t%.3f\t%d\t%d\t%d%n",
            log.getFileName(), w.operations(), w.seconds(), w.p50(), w.p99(), w.p999());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
