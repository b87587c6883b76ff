package io.cleave.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RaftSegmentTailTest {
  @TempDir Path dir;

  /** A segment like Ratis writes it: header, records (varint length, entry, checksum), padding. */
  private static byte[] segment(int... entryLengths) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("RaftLog1".getBytes(StandardCharsets.US_ASCII));
    for (int length : entryLengths) {
      int v = length;
      while (v >= 0x80) {
        out.write((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      out.write(v);
      for (int i = 0; i < length + 4; i++) {
        out.write(0x5a); // entry and checksum bytes, never a zero where a length is read
      }
    }
    out.writeBytes(new byte[1000]); // preallocated padding
    return out.toByteArray();
  }

  @Test
  void findsRecordBoundariesUpToThePadding() {
    // 8 header; 1 + 10 + 4 = 15; 2 + 200 + 4 = 206 (a two-byte varint); 1 + 3 + 4 = 8.
    assertThat(RaftSegmentTail.recordBoundaries(segment(10, 200, 3)))
        .containsExactly(8L, 23L, 229L, 237L);
    assertThat(RaftSegmentTail.recordBoundaries(segment())).containsExactly(8L);
  }

  @Test
  void aRecordRunningPastTheFileIsNotCounted() {
    byte[] full = segment(10, 20);
    byte[] cut = java.util.Arrays.copyOf(full, 8 + 15 + 10);
    assertThat(RaftSegmentTail.recordBoundaries(cut)).containsExactly(8L, 23L);
  }

  @Test
  void aTearLosesBytesOfTheLastRecordsOnly() throws IOException {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      Path file = dir.resolve("log_inprogress_" + round);
      byte[] original = segment(10, 200, 3);
      Files.write(file, original);

      RaftSegmentTail.Tear tear = RaftSegmentTail.tear(file, random).orElseThrow();

      byte[] now = Files.readAllBytes(file);
      assertThat(tear.recordsEnd()).isEqualTo(237);
      long firstHit = tear.recordsHit() == 1 ? 229 : 23;
      assertThat(tear.cutAt()).isBetween(firstHit, 236L);
      assertThat(tear.oldSize()).isEqualTo(original.length);
      assertThat(tear.newSize()).isEqualTo(now.length);
      // The bytes before the cut are untouched; from the cut on the records are gone.
      assertThat(java.util.Arrays.copyOf(now, (int) tear.cutAt()))
          .isEqualTo(java.util.Arrays.copyOf(original, (int) tear.cutAt()));
      if (tear.how() == RaftSegmentTail.How.TRUNCATED) {
        assertThat(now.length).isEqualTo(tear.cutAt());
        // No complete record is left past the cut. (A zeroed record can still look complete by
        // its length; Ratis rejects it by its checksum, which this parser does not check.)
        List<Long> left = RaftSegmentTail.recordBoundaries(now);
        assertThat(left.get(left.size() - 1)).isLessThanOrEqualTo(tear.cutAt());
      } else {
        assertThat(now.length).isEqualTo(original.length);
        for (long i = tear.cutAt(); i < now.length; i++) {
          assertThat(now[(int) i]).isZero();
        }
      }
    }
  }

  @Test
  void aSegmentWithoutRecordsIsLeftAlone() throws IOException {
    Path file = dir.resolve("log_inprogress_0");
    Files.write(file, segment());
    assertThat(RaftSegmentTail.tear(file, new Random(1))).isEmpty();
    assertThat(Files.size(file)).isEqualTo(1008);
  }
}
