package io.cleave.placement.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoutingSpaceTest {
  private static final HexFormat HEX = HexFormat.of();

  private static ByteString hex(String s) {
    return s == null ? ByteString.EMPTY : ByteString.copyFrom(HEX.parseHex(s));
  }

  private static String hex(Optional<ByteString> key) {
    return key.map(k -> HEX.formatHex(k.toByteArray())).orElse("none");
  }

  @ParameterizedTest(name = "hash [{0}, {1}) -> {2}")
  @CsvSource(
      nullValues = "''",
      value = {
        // start,             end,                 midpoint
        "'',                  '',                  8000000000000000",
        "'',                  8000000000000000,    4000000000000000",
        "8000000000000000,    '',                  c000000000000000",
        "c000000000000000,    '',                  e000000000000000",
        "ffffffffffffff00,    '',                  ffffffffffffff80",
        "fffffffffffffffe,    '',                  ffffffffffffffff",
        "ffffffffffffffff,    '',                  none",
        "0000000000000001,    0000000000000003,    0000000000000002",
        "0000000000000001,    0000000000000002,    none",
        "7fffffffffffffff,    8000000000000001,    8000000000000000",
        "00000000000000ff,    0000000000000100,    none",
      })
  void hashMidpointSplitsTheUnsignedRangeInHalf(String start, String end, String expected) {
    assertThat(hex(RoutingSpace.hashMidpoint(hex(start), hex(end)))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "bytes [{0}, {1}) -> {2}")
  @CsvSource(
      nullValues = "''",
      value = {
        // start,  end,     midpoint
        "'',       '',      80",
        "'',       80,      40",
        "61,       63,      62", // "a" .. "c" -> "b"
        "61,       62,      6180", // "a" .. "b" -> "a\x80"
        "61,       '',      b080", // (0x61 + 0x100) / 2 = 0xb0.80
        "6100,     6180,    6140",
        "61,       6100,    none", // nothing sorts strictly between "a" and "a\0"
        "61,       610000,  6100", // only "a\0" lies between
        "ff,       '',      ff80",
        "ffff,     '',      ffff80",
        "7573657231, 7573657239, 7573657235", // "user1" .. "user9" -> "user5"
      })
  void byteMidpointIsAKeyStrictlyInside(String start, String end, String expected) {
    Optional<ByteString> mid = RoutingSpace.byteMidpoint(hex(start), hex(end));
    assertThat(hex(mid)).isEqualTo(expected);
    mid.ifPresent(m -> assertThat(RoutingSpace.strictlyInside(m, hex(start), hex(end))).isTrue());
  }

  @Test
  void byteMidpointStaysInsideForManyRandomRanges() {
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 20_000; i++) {
      ByteString a = randomKey(random);
      ByteString b = randomKey(random);
      if (RoutingSpace.compare(a, b) > 0) {
        ByteString t = a;
        a = b;
        b = t;
      }
      if (random.nextInt(10) == 0) {
        b = ByteString.EMPTY;
      }
      Optional<ByteString> mid = RoutingSpace.byteMidpoint(a, b);
      if (mid.isPresent()) {
        assertThat(RoutingSpace.strictlyInside(mid.get(), a, b)).as("%s %s", a, b).isTrue();
      } else {
        // No midpoint only when nothing lies between: then even start + 0x00 is not before end.
        assertThat(RoutingSpace.strictlyInside(a.concat(ByteString.copyFrom(new byte[1])), a, b))
            .isFalse();
      }
    }
  }

  @Test
  void hashKeysRoundTripAsUnsigned() {
    for (long v : new long[] {0, 1, Long.MAX_VALUE, Long.MIN_VALUE, -1}) {
      ByteString key = RoutingSpace.fromUnsignedLong(v);
      assertThat(key.size()).isEqualTo(8);
      assertThat(RoutingSpace.toUnsignedLong(key)).isEqualTo(v);
    }
    assertThat(
            RoutingSpace.compare(
                RoutingSpace.fromUnsignedLong(Long.MAX_VALUE),
                RoutingSpace.fromUnsignedLong(Long.MIN_VALUE)))
        .as("2^63 - 1 sorts before 2^63 as unsigned")
        .isNegative();
  }

  private static ByteString randomKey(java.util.Random random) {
    byte[] b = new byte[random.nextInt(4)];
    for (int i = 0; i < b.length; i++) {
      // Few distinct byte values, so prefixes and trailing zeros come up often.
      b[i] = (byte) new int[] {0, 1, 0x7f, 0x80, 0xff}[random.nextInt(5)];
    }
    return ByteString.copyFrom(b);
  }
}
