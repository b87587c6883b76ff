package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class UnitsTest {

  @Test
  void durations() {
    assertThat(Units.duration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Units.duration("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(Units.duration("7")).isEqualTo(Duration.ofSeconds(7));
    assertThat(Units.duration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Units.duration("1H")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> Units.duration("0s")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> Units.duration("5 days")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> Units.duration("-1s")).isInstanceOf(TypeConversionException.class);
  }

  @Test
  void sizes() {
    assertThat(Units.size("1048576")).isEqualTo(1 << 20);
    assertThat(Units.size("512KiB")).isEqualTo(512 << 10);
    assertThat(Units.size("64MiB")).isEqualTo(64L << 20);
    assertThat(Units.size("64m")).isEqualTo(64L << 20);
    assertThat(Units.size("1GB")).isEqualTo(1_000_000_000L);
    assertThat(Units.size("2 gib")).isEqualTo(2L << 30);
    assertThatThrownBy(() -> Units.size("lots")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> Units.size("9TB")).isInstanceOf(TypeConversionException.class);
  }
}
