package io.cleave.client;

import io.cleave.api.ValuePerKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A keyspace seen through its value type: commands and queries take and return the type's own
 * objects, encoded with its codecs, so callers never handle argument bytes. From {@link
 * CleaveClient#keyspace(String, ValuePerKey)}.
 *
 * <pre>{@code
 * TypedKeyspace<Long, Long, Long, Long> counters = client.keyspace("counters", new CounterType());
 * long now = counters.blocking().command(Bytes.utf8("page:home"), 1L);
 * }</pre>
 *
 * @param <V> the stored value
 * @param <C> the command argument
 * @param <Q> the query argument
 * @param <R> the result of commands and queries
 */
public final class TypedKeyspace<V, C, Q, R> {
  private final CleaveClient client;
  private final String name;
  private final ValuePerKey<V, C, Q, R> type;
  private final Blocking blocking = new Blocking();

  TypedKeyspace(CleaveClient client, String name, ValuePerKey<V, C, Q, R> type) {
    this.client = client;
    this.name = name;
    this.type = type;
  }

  /** The keyspace name. */
  public String name() {
    return name;
  }

  /** The value type whose codecs this handle uses. */
  public ValuePerKey<V, C, Q, R> type() {
    return type;
  }

  /** The blocking view of this handle. */
  public Blocking blocking() {
    return blocking;
  }

  /** Runs a command on {@code key}; completes with its decoded result. */
  public CompletableFuture<R> command(Bytes key, C argument) {
    return command(key, argument, WriteOptions.DEFAULT);
  }

  /** Runs a command on {@code key}; completes with its decoded result. */
  public CompletableFuture<R> command(Bytes key, C argument, WriteOptions options) {
    return client.command(name, key, encodeCommand(argument), options).thenApply(this::decode);
  }

  /** Runs a query on {@code key}; empty when the key does not exist. */
  public CompletableFuture<Optional<R>> query(Bytes key, Q argument) {
    return query(key, argument, ReadOptions.DEFAULT);
  }

  /** Runs a query on {@code key}; empty when the key does not exist. */
  public CompletableFuture<Optional<R>> query(Bytes key, Q argument, ReadOptions options) {
    Bytes encoded = Bytes.of(type.queryCodec().encode(argument));
    return client.query(name, key, encoded, options).thenApply(r -> r.map(this::decode));
  }

  /** Reads the stored value of {@code key}, decoded; empty when the key does not exist. */
  public CompletableFuture<Optional<V>> get(Bytes key) {
    return get(key, ReadOptions.DEFAULT);
  }

  /** Reads the stored value of {@code key}, decoded; empty when the key does not exist. */
  public CompletableFuture<Optional<V>> get(Bytes key, ReadOptions options) {
    return client
        .get(name, key, options)
        .thenApply(
            r ->
                r.found()
                    ? Optional.of(type.valueCodec().decode(r.value().array()))
                    : Optional.empty());
  }

  /**
   * Runs one command per entry (grouped by shard, in parallel); completes with the decoded results
   * in the order of {@code commands}.
   */
  public CompletableFuture<List<R>> batchCommand(List<Map.Entry<Bytes, C>> commands) {
    return batchCommand(commands, WriteOptions.DEFAULT);
  }

  /** See {@link #batchCommand(List)}. */
  public CompletableFuture<List<R>> batchCommand(
      List<Map.Entry<Bytes, C>> commands, WriteOptions options) {
    List<KeyValue> encoded = new ArrayList<>(commands.size());
    for (Map.Entry<Bytes, C> command : commands) {
      encoded.add(KeyValue.of(command.getKey(), encodeCommand(command.getValue())));
    }
    return client
        .batchCommand(name, encoded, options)
        .thenApply(results -> results.stream().map(this::decode).toList());
  }

  private Bytes encodeCommand(C argument) {
    return Bytes.of(type.commandCodec().encode(argument));
  }

  private R decode(Bytes result) {
    return type.resultCodec().decode(result.array());
  }

  /** The same calls, blocking; failures thrown unwrapped as by {@link BlockingClient}. */
  public final class Blocking {
    private Blocking() {}

    /** See {@link TypedKeyspace#command(Bytes, Object)}. */
    public R command(Bytes key, C argument) {
      return Await.result(TypedKeyspace.this.command(key, argument));
    }

    /** See {@link TypedKeyspace#command(Bytes, Object, WriteOptions)}. */
    public R command(Bytes key, C argument, WriteOptions options) {
      return Await.result(TypedKeyspace.this.command(key, argument, options));
    }

    /** See {@link TypedKeyspace#query(Bytes, Object)}. */
    public Optional<R> query(Bytes key, Q argument) {
      return Await.result(TypedKeyspace.this.query(key, argument));
    }

    /** See {@link TypedKeyspace#query(Bytes, Object, ReadOptions)}. */
    public Optional<R> query(Bytes key, Q argument, ReadOptions options) {
      return Await.result(TypedKeyspace.this.query(key, argument, options));
    }

    /** See {@link TypedKeyspace#get(Bytes)}. */
    public Optional<V> get(Bytes key) {
      return Await.result(TypedKeyspace.this.get(key));
    }

    /** See {@link TypedKeyspace#batchCommand(List)}. */
    public List<R> batchCommand(List<Map.Entry<Bytes, C>> commands) {
      return Await.result(TypedKeyspace.this.batchCommand(commands));
    }
  }
}
