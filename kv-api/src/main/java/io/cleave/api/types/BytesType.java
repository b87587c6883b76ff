package io.cleave.api.types;

import io.cleave.api.Codec;
import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.QueryOutcome;
import io.cleave.api.ValuePerKey;

/**
 * Plain byte values, the type behind get / put / delete / compare-and-set. As a ValuePerKey its
 * command sets the value (an empty argument deletes the key) and returns the previous value; its
 * query returns the value. Load is one unit per call; size is the value's length in bytes.
 */
public final class BytesType implements ValuePerKey<byte[], byte[], byte[], byte[]> {
  public static final String NAME = "bytes";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Codec<byte[]> valueCodec() {
    return Codec.bytes();
  }

  @Override
  public Codec<byte[]> commandCodec() {
    return Codec.bytes();
  }

  @Override
  public Codec<byte[]> queryCodec() {
    return Codec.bytes();
  }

  @Override
  public Codec<byte[]> resultCodec() {
    return Codec.bytes();
  }

  @Override
  public CommandOutcome<byte[], byte[]> command(
      byte[] previous, long size, byte[] key, byte[] argument, CommandContext context) {
    byte[] result = previous == null ? new byte[0] : previous;
    if (argument.length == 0) {
      return new CommandOutcome<>(result, 1, null, 0);
    }
    return new CommandOutcome<>(result, 1, argument, argument.length);
  }

  @Override
  public QueryOutcome<byte[]> query(byte[] value, long size, byte[] key, byte[] argument) {
    return new QueryOutcome<>(value, 1);
  }
}
