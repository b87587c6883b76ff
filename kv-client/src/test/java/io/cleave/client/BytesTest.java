package io.cleave.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BytesTest {
  @Test
  void copiesInAndOutSoCallersCannotMutateIt() {
    byte[] raw = {1, 2, 3};
    Bytes b = Bytes.of(raw);
    raw[0] = 9;
    b.toByteArray()[1] = 9;
    assertThat(b.toByteArray()).containsExactly(1, 2, 3);
  }

  @Test
  void utf8RoundTripsAndEqualityIsByContent() {
    Bytes b = Bytes.utf8("héllo");
    assertThat(b.toUtf8()).isEqualTo("héllo");
    assertThat(b.size()).isEqualTo(6);
    assertThat(b).isEqualTo(Bytes.of("héllo".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(b.hashCode()).isEqualTo(Bytes.utf8("héllo").hashCode());
  }

  @Test
  void ordersUnsignedLikeTheNodes() {
    List<Bytes> sorted =
        new ArrayList<>(
            List.of(
                Bytes.of(new byte[] {(byte) 0x80}),
                Bytes.of(new byte[] {0x7f}),
                Bytes.EMPTY,
                Bytes.of(new byte[] {0x7f, 0})));
    sorted.sort(null);
    assertThat(sorted)
        .containsExactly(
            Bytes.EMPTY,
            Bytes.of(new byte[] {0x7f}),
            Bytes.of(new byte[] {0x7f, 0}),
            Bytes.of(new byte[] {(byte) 0x80}));
  }

  @Test
  void toStringShowsTextOrHexAndCutsLongContent() {
    assertThat(Bytes.utf8("user:42")).hasToString("\"user:42\"");
    assertThat(Bytes.of(new byte[] {0, (byte) 0xff})).hasToString("0x00ff");
    assertThat(Bytes.utf8("x".repeat(100)).toString()).endsWith("...(100 bytes)");
  }
}
