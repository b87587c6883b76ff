package io.cleave.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Tears the tail of a Ratis log segment the way a crash mid-write does. A segment file is the
 * header {@code RaftLog1}, then one record per entry (a varint length, the entry, a 4-byte
 * checksum), then zeros: Ratis preallocates open segments, so the file is usually longer than its
 * records. Cutting a random number of bytes off the file would mostly cut that padding, so the tear
 * is measured from where the records end.
 */
public final class RaftSegmentTail {
  private static final byte[] HEADER = "RaftLog1".getBytes(StandardCharsets.US_ASCII);

  /** How the torn bytes are lost. */
  public enum How {
    /**
     * The file ends inside a record: a file system that lost the unsynced growth of the file. Ratis
     * reads up to the partial record and drops it (an EOF inside a record is expected).
     */
    TRUNCATED,
    /**
     * The torn bytes read back as zeros and the file keeps its size: a preallocated file whose last
     * unsynced pages never reached the disk. The partial record fails its checksum, which Ratis
     * treats as corruption (see the log corruption policy in RaftSettings).
     */
    ZEROED
  }

  /**
   * What one tear did: {@code file} was {@code oldSize} bytes with records up to {@code
   * recordsEnd}; from {@code cutAt} on its bytes were lost ({@code how}), leaving {@code newSize}
   * bytes; {@code recordsHit} records (1 or 2, the last ones) lost some or all of their bytes.
   */
  public record Tear(
      Path file, long oldSize, long recordsEnd, long cutAt, long newSize, int recordsHit, How how) {
    @Override
    public String toString() {
      Path shown =
          file.getNameCount() >= 3
              ? file.subpath(file.getNameCount() - 3, file.getNameCount())
              : file;
      return String.format(
          "%s: %d B, records end at %d, %s from %d (%d B of the last %d record%s), now %d B",
          shown,
          oldSize,
          recordsEnd,
          how == How.TRUNCATED ? "truncated" : "zeroed",
          cutAt,
          recordsEnd - cutAt,
          recordsHit,
          recordsHit == 1 ? "" : "s",
          newSize);
    }
  }

  private RaftSegmentTail() {}

  /**
   * The offsets where the records of {@code segment} start, followed by the offset where the last
   * complete record ends. Reading stops at the padding (a zero where a length would be) or at a
   * record that runs past the end of the file.
   */
  static List<Long> recordBoundaries(byte[] segment) {
    if (segment.length < HEADER.length
        || !Arrays.equals(Arrays.copyOf(segment, HEADER.length), HEADER)) {
      throw new IllegalArgumentException("not a Ratis log segment (no RaftLog1 header)");
    }
    List<Long> boundaries = new ArrayList<>();
    int pos = HEADER.length;
    boundaries.add((long) pos);
    while (pos < segment.length && segment[pos] != 0) {
      long length = 0;
      int shift = 0;
      int p = pos;
      while (true) {
        if (p >= segment.length || shift > 28) {
          return boundaries;
        }
        byte b = segment[p++];
        length |= (long) (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      long end = p + length + 4; // the entry, then its checksum
      if (end > segment.length) {
        break;
      }
      pos = (int) end;
      boundaries.add(end);
    }
    return boundaries;
  }

  /**
   * Tears {@code segment}: loses a random number of bytes from a random point in its last record,
   * or (one time in three, when it has two) in the record before, up to where the records end. A
   * point at a record's start loses whole records, a clean cut; anywhere else leaves a partial
   * record. Half the tears truncate the file, half zero the bytes ({@link How}).
   *
   * @return the tear, or empty when the segment holds no record
   */
  public static Optional<Tear> tear(Path segment, Random random) {
    byte[] bytes = read(segment);
    List<Long> boundaries = recordBoundaries(bytes);
    int records = boundaries.size() - 1;
    if (records == 0) {
      return Optional.empty();
    }
    int recordsHit = records >= 2 && random.nextInt(3) == 0 ? 2 : 1;
    long from = boundaries.get(records - recordsHit);
    long recordsEnd = boundaries.get(records);
    long cutAt = from + (long) (random.nextDouble() * (recordsEnd - from));
    How how = random.nextBoolean() ? How.TRUNCATED : How.ZEROED;
    return Optional.of(cut(segment, bytes.length, recordsEnd, cutAt, recordsHit, how));
  }

  /**
   * Truncates {@code segment} at the start of its {@code records}-th last record: whole records
   * lost, no partial one left (a deterministic tear, for tests that need one).
   *
   * @return the tear, or empty when the segment holds fewer records
   */
  public static Optional<Tear> dropLastRecords(Path segment, int records) {
    byte[] bytes = read(segment);
    List<Long> boundaries = recordBoundaries(bytes);
    int count = boundaries.size() - 1;
    if (records < 1 || count < records) {
      return Optional.empty();
    }
    long cutAt = boundaries.get(count - records);
    return Optional.of(
        cut(segment, bytes.length, boundaries.get(count), cutAt, records, How.TRUNCATED));
  }

  private static byte[] read(Path segment) {
    try {
      return Files.readAllBytes(segment);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Tear cut(
      Path segment, long oldSize, long recordsEnd, long cutAt, int recordsHit, How how) {
    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      if (how == How.TRUNCATED) {
        channel.truncate(cutAt);
      } else {
        channel.write(ByteBuffer.allocate((int) (recordsEnd - cutAt)), cutAt);
      }
      channel.force(true);
      return new Tear(segment, oldSize, recordsEnd, cutAt, channel.size(), recordsHit, how);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
