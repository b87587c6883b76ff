package io.cleave.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HdrWindowTest {
  /**
   * A log as YCSB writes it (start and base time, then one interval per status report): ten 1 s
   * intervals, the first five slow (interval i records 100 values of 10,000 + i us), the last five
   * fast (100 values of 100 + i us).
   */
  private static Path ycsbLikeLog(Path dir) throws Exception {
    Path file = dir.resolve("UPDATE.hdr");
    long start = 1_700_000_000_000L;
    try (PrintStream out = new PrintStream(Files.newOutputStream(file))) {
      HistogramLogWriter writer = new HistogramLogWriter(out);
      writer.outputLogFormatVersion();
      writer.outputStartTime(start);
      writer.setBaseTime(start);
      writer.outputLegend();
      for (int i = 0; i < 10; i++) {
        Histogram interval = new Histogram(3);
        interval.setStartTimeStamp(start + i * 1000L);
        interval.setEndTimeStamp(start + (i + 1) * 1000L);
        interval.recordValueWithCount(i < 5 ? 10_000 + i : 100 + i, 100);
        writer.outputIntervalHistogram(interval);
      }
    }
    return file;
  }

  @Test
  void theWindowLeavesOutTheIntervalsBeforeItsStart(@TempDir Path dir) throws Exception {
    HdrWindow.Window window = HdrWindow.read(ycsbLikeLog(dir), 5);

    assertThat(window.operations()).isEqualTo(500);
    assertThat(window.seconds()).isEqualTo(5.0);
    assertThat(window.p50()).isEqualTo(107);
    assertThat(window.p999()).isEqualTo(109);
  }

  @Test
  void fromZeroTheWindowIsTheWholeRun(@TempDir Path dir) throws Exception {
    HdrWindow.Window window = HdrWindow.read(ycsbLikeLog(dir), 0);

    assertThat(window.operations()).isEqualTo(1000);
    assertThat(window.seconds()).isEqualTo(10.0);
    assertThat(window.p50()).isEqualTo(109);
    assertThat(window.p99()).isBetween(10_000L, 10_010L);
  }

  @Test
  void aWindowAfterTheLastIntervalIsEmpty(@TempDir Path dir) throws Exception {
    assertThat(HdrWindow.read(ycsbLikeLog(dir), 60).operations()).isZero();
  }
}
