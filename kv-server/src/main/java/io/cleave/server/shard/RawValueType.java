package io.cleave.server.shard;

import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.QueryOutcome;
import io.cleave.api.ValuePerKey;

/**
 * A {@link ValuePerKey} seen through bytes: decodes the stored value and the argument, runs the
 * type, and encodes what it returns. Keeps the state machine free of the type's generics.
 */
public final class RawValueType {
  private final ValuePerKey<Object, Object, Object, Object> type;

  /** Outcome of a command in stored form; {@code nextValue} null deletes the key. */
  public record Command(byte[] result, long load, byte[] nextValue, long nextSize) {}

  /** Outcome of a query in stored form. */
  public record Query(byte[] result, long load) {}

  @SuppressWarnings("unchecked")
  public RawValueType(ValuePerKey<?, ?, ?, ?> type) {
    this.type = (ValuePerKey<Object, Object, Object, Object>) type;
  }

  public String name() {
    return type.name();
  }

  /**
   * Runs a command. Any exception (malformed argument, the type refusing the input) propagates and
   * the caller changes nothing.
   */
  public Command command(
      byte[] previous, long size, byte[] key, byte[] argument, CommandContext context) {
    Object previousValue = previous == null ? null : type.valueCodec().decode(previous);
    Object decodedArgument = type.commandCodec().decode(argument);
    CommandOutcome<Object, Object> outcome =
        type.command(previousValue, size, key, decodedArgument, context);
    byte[] next =
        outcome.nextValue() == null ? null : type.valueCodec().encode(outcome.nextValue());
    return new Command(
        type.resultCodec().encode(outcome.result()), outcome.load(), next, outcome.nextSize());
  }

  public Query query(byte[] value, long size, byte[] key, byte[] argument) {
    QueryOutcome<Object> outcome =
        type.query(type.valueCodec().decode(value), size, key, type.queryCodec().decode(argument));
    return new Query(type.resultCodec().encode(outcome.result()), outcome.load());
  }

  /** Checks that {@code argument} decodes as a command of this type. */
  public void validateCommand(byte[] argument) {
    type.commandCodec().decode(argument);
  }
}
