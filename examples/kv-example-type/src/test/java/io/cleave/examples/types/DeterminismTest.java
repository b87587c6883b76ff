package io.cleave.examples.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.ValuePerKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * Replicas apply the same command bytes each on their own copy; they must end with the same value
 * bytes. These tests play replicas the way the node does: decode, run, encode, store bytes.
 */
class DeterminismTest {
  private static final byte[] KEY = {'k'};

  /** One replica's copy of a key: the stored bytes, as the node keeps them. */
  private static final class Replica {
    final SortedSetType type = new SortedSetType(); // its own instance, as on another node
    byte[] stored;
    long size;

    byte[] apply(byte[] command, CommandContext context) {
      ZSet previous = stored == null ? null : type.valueCodec().decode(stored);
      try {
        CommandOutcome<ZSet, ZResult> out =
            type.command(previous, size, KEY, type.commandCodec().decode(command), context);
        stored = out.nextValue() == null ? null : type.valueCodec().encode(out.nextValue());
        size = out.nextValue() == null ? 0 : out.nextSize();
        return type.resultCodec().encode(out.result());
      } catch (IllegalArgumentException refused) {
        return null; // INVALID_ARGUMENT: the key is unchanged
      }
    }
  }

  private static ZCommand randomCommand(Random random) {
    String member = "m" + random.nextInt(40);
    return switch (random.nextInt(4)) {
      case 0 -> ZCommand.add(member, random.nextInt(1000) - 500);
      case 1 -> {
        Map<String, ZEntry> entries = new LinkedHashMap<>();
        for (int i = random.nextInt(5); i >= 0; i--) {
          String m = "m" + random.nextInt(40);
          entries.put(m, new ZEntry(m, random.nextLong()));
        }
        ZCommand.AddMode mode = ZCommand.AddMode.values()[random.nextInt(4)];
        yield ZCommand.add(mode, List.copyOf(entries.values()));
      }
      case 2 -> ZCommand.remove(member);
      default -> ZCommand.incrBy(member, random.nextBoolean() ? random.nextLong() : 7);
    };
  }

  @Test
  void replicasApplyingTheSameLogStoreTheSameBytes() {
    Random random = new Random(20240611L); // test input only; the type itself has no randomness
    List<Replica> replicas = List.of(new Replica(), new Replica(), new Replica());
    SortedSetType encoder = new SortedSetType();
    int refused = 0;
    for (int index = 1; index <= 2_000; index++) {
      byte[] command = encoder.commandCodec().encode(randomCommand(random));
      CommandContext context = new CommandContext(1_700_000_000_000L + index, index);
      List<byte[]> results = new ArrayList<>();
      for (Replica replica : replicas) {
        results.add(replica.apply(command, context));
      }
      for (Replica replica : replicas) {
        assertThat(replica.stored)
            .as("value after entry %d", index)
            .isEqualTo(replicas.get(0).stored);
        assertThat(replica.size).isEqualTo(replicas.get(0).size);
      }
      results.forEach(r -> assertThat(r).isEqualTo(results.get(0)));
      refused += results.get(0) == null ? 1 : 0;
    }
    assertThat(refused).as("overflowing increments were exercised").isPositive();
  }

  @Test
  void theSameSetEncodesTheSameWhateverTheInsertionOrder() {
    Map<String, Long> forward = new LinkedHashMap<>();
    Map<String, Long> backward = new LinkedHashMap<>();
    for (int i = 0; i < 500; i++) {
      forward.put("m" + i, (long) (i % 7));
      backward.put("m" + (499 - i), (long) ((499 - i) % 7));
    }
    SortedSetType type = new SortedSetType();
    assertThat(type.valueCodec().encode(ZSet.of(forward)))
        .isEqualTo(type.valueCodec().encode(ZSet.of(backward)));
  }

  @Test
  void theContextDoesNotChangeTheOutcome() {
    // zset reads no clock at all: the same command at another time or log index does the same.
    SortedSetType type = new SortedSetType();
    ZSet start = ZSet.of(Map.of("ann", 1L));
    var early = type.command(start, 1, KEY, ZCommand.incrBy("ann", 2), new CommandContext(0, 1));
    var late =
        type.command(
            start, 1, KEY, ZCommand.incrBy("ann", 2), new CommandContext(Long.MAX_VALUE, 99));
    assertThat(early).isEqualTo(late);
  }

  @Test
  void serviceLoaderFindsTheTypeByName() {
    List<String> names = new ArrayList<>();
    for (ValuePerKey<?, ?, ?, ?> type : ServiceLoader.load(ValuePerKey.class)) {
      names.add(type.name());
    }
    assertThat(names).contains(SortedSetType.NAME);
    assertThat(Arrays.asList(names.toArray())).doesNotHaveDuplicates();
  }
}
