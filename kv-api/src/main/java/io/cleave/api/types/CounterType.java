package io.cleave.api.types;

import io.cleave.api.Codec;
import io.cleave.api.Codecs;
import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.QueryOutcome;
import io.cleave.api.ValuePerKey;

/**
 * A 64-bit counter per key. The command adds its argument and returns the new value (a counter that
 * reaches zero is deleted, so counters cost nothing at rest); the query returns the value. Overflow
 * fails the command and leaves the counter unchanged.
 */
public final class CounterType implements ValuePerKey<Long, Long, Long, Long> {
  public static final String NAME = "counter";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Codec<Long> valueCodec() {
    return Codecs.INT64;
  }

  @Override
  public Codec<Long> commandCodec() {
    return Codecs.INT64;
  }

  @Override
  public Codec<Long> queryCodec() {
    return Codecs.INT64;
  }

  @Override
  public Codec<Long> resultCodec() {
    return Codecs.INT64;
  }

  @Override
  public CommandOutcome<Long, Long> command(
      Long previous, long size, byte[] key, Long delta, CommandContext context) {
    long next = Math.addExact(previous == null ? 0L : previous, delta);
    return new CommandOutcome<>(next, 1, next == 0 ? null : next, Long.BYTES);
  }

  @Override
  public QueryOutcome<Long> query(Long value, long size, byte[] key, Long ignored) {
    return new QueryOutcome<>(value, 1);
  }
}
