package io.cleave.api;

/**
 * A value type: how the value stored under each key of a keyspace reacts to commands and queries.
 * This is RaftKV's {@code ValuePerKey} behaviour on the JVM.
 *
 * <p>Commands are replicated through the shard's Raft log and run on every replica, so {@link
 * #command} must be deterministic: no clock but {@link CommandContext#leaderTimeMillis()}, no
 * randomness, no I/O, no state outside its arguments. An exception thrown from it fails that one
 * call with INVALID_ARGUMENT and leaves the key unchanged.
 *
 * <p>Implementations are found by {@link #name()} through {@link java.util.ServiceLoader}: list the
 * class in {@code META-INF/services/io.cleave.api.ValuePerKey} and put the jar on the node's plugin
 * path. They need a public no-argument constructor.
 *
 * @param <V> the stored value
 * @param <C> the command argument
 * @param <Q> the query argument
 * @param <R> the result of commands and queries
 */
public interface ValuePerKey<V, C, Q, R> {

  /** The name keyspaces use to choose this type; unique among the types a node loads. */
  String name();

  Codec<V> valueCodec();

  Codec<C> commandCodec();

  Codec<Q> queryCodec();

  Codec<R> resultCodec();

  /**
   * Runs a command on one key.
   *
   * @param previous the current value, or {@code null} if the key does not exist
   * @param size the size the previous command reported for {@code previous}; 0 when absent
   * @param key the user key
   * @param argument the decoded command argument
   * @param context the deterministic context of the log entry
   */
  CommandOutcome<V, R> command(
      V previous, long size, byte[] key, C argument, CommandContext context);

  /**
   * Answers a query on an existing key. Not called for a missing key: the caller gets "not found".
   */
  QueryOutcome<R> query(V value, long size, byte[] key, Q argument);
}
