package io.cleave.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoredValueTest {
  @Test
  void roundTripsVersionSizeAndValue() {
    StoredValue value = new StoredValue(3, 1234, new byte[] {1, 2, 3});

    StoredValue decoded = StoredValue.decode(value.encode());

    assertThat(decoded.version()).isEqualTo(3);
    assertThat(decoded.size()).isEqualTo(1234);
    assertThat(decoded.value()).containsExactly(1, 2, 3);
  }

  @Test
  void roundTripsAnEmptyValueAndExtremeNumbers() {
    StoredValue decoded =
        StoredValue.decode(new StoredValue(Long.MAX_VALUE, -1, new byte[0]).encode());

    assertThat(decoded.version()).isEqualTo(Long.MAX_VALUE);
    assertThat(decoded.size()).isEqualTo(-1);
    assertThat(decoded.value()).isEmpty();
  }

  @Test
  void layoutIsVersionThenSizeThenValue() {
    byte[] encoded = new StoredValue(1, 2, new byte[] {9}).encode();

    assertThat(encoded).containsExactly(0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 9);
  }

  @Test
  void sizeOfReadsOnlyTheHeader() {
    byte[] encoded = new StoredValue(5, 77, new byte[100]).encode();

    assertThat(StoredValue.sizeOf(encoded)).isEqualTo(77);
  }
}
