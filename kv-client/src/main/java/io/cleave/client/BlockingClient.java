package io.cleave.client;

import java.util.List;
import java.util.Optional;

/**
 * The blocking view of a {@link CleaveClient}, from {@link CleaveClient#blocking()}: the same
 * calls, waiting for the answer. Failures are thrown as the {@link CleaveException} the async call
 * would have completed with, not wrapped in a {@code CompletionException}; an interrupt cancels the
 * call and throws with code CANCELLED.
 */
public final class BlockingClient {
  private final CleaveClient client;

  BlockingClient(CleaveClient client) {
    this.client = client;
  }

  /** The asynchronous client behind this view. */
  public CleaveClient async() {
    return client;
  }

  /** See {@link CleaveClient#get(String, Bytes)}. */
  public GetResult get(String keyspace, Bytes key) {
    return Await.result(client.get(keyspace, key));
  }

  /** See {@link CleaveClient#get(String, Bytes, ReadOptions)}. */
  public GetResult get(String keyspace, Bytes key, ReadOptions options) {
    return Await.result(client.get(keyspace, key, options));
  }

  /** See {@link CleaveClient#put(String, Bytes, Bytes)}; returns the new version. */
  public long put(String keyspace, Bytes key, Bytes value) {
    return Await.result(client.put(keyspace, key, value));
  }

  /** See {@link CleaveClient#put(String, Bytes, Bytes, WriteOptions)}. */
  public long put(String keyspace, Bytes key, Bytes value, WriteOptions options) {
    return Await.result(client.put(keyspace, key, value, options));
  }

  /** See {@link CleaveClient#delete(String, Bytes)}; returns whether the key existed. */
  public boolean delete(String keyspace, Bytes key) {
    return Await.result(client.delete(keyspace, key));
  }

  /** See {@link CleaveClient#delete(String, Bytes, WriteOptions)}. */
  public boolean delete(String keyspace, Bytes key, WriteOptions options) {
    return Await.result(client.delete(keyspace, key, options));
  }

  /** See {@link CleaveClient#compareAndSet(String, Bytes, Expectation, Update)}. */
  public CasResult compareAndSet(String keyspace, Bytes key, Expectation expected, Update update) {
    return Await.result(client.compareAndSet(keyspace, key, expected, update));
  }

  /** See {@link CleaveClient#compareAndSet(String, Bytes, Expectation, Update, WriteOptions)}. */
  public CasResult compareAndSet(
      String keyspace, Bytes key, Expectation expected, Update update, WriteOptions options) {
    return Await.result(client.compareAndSet(keyspace, key, expected, update, options));
  }

  /** See {@link CleaveClient#command(String, Bytes, Bytes)}. */
  public Bytes command(String keyspace, Bytes key, Bytes argument) {
    return Await.result(client.command(keyspace, key, argument));
  }

  /** See {@link CleaveClient#command(String, Bytes, Bytes, WriteOptions)}. */
  public Bytes command(String keyspace, Bytes key, Bytes argument, WriteOptions options) {
    return Await.result(client.command(keyspace, key, argument, options));
  }

  /** See {@link CleaveClient#query(String, Bytes, Bytes)}. */
  public Optional<Bytes> query(String keyspace, Bytes key, Bytes argument) {
    return Await.result(client.query(keyspace, key, argument));
  }

  /** See {@link CleaveClient#query(String, Bytes, Bytes, ReadOptions)}. */
  public Optional<Bytes> query(String keyspace, Bytes key, Bytes argument, ReadOptions options) {
    return Await.result(client.query(keyspace, key, argument, options));
  }

  /** See {@link CleaveClient#batchGet(String, List)}. */
  public List<GetResult> batchGet(String keyspace, List<Bytes> keys) {
    return Await.result(client.batchGet(keyspace, keys));
  }

  /** See {@link CleaveClient#batchGet(String, List, ReadOptions)}. */
  public List<GetResult> batchGet(String keyspace, List<Bytes> keys, ReadOptions options) {
    return Await.result(client.batchGet(keyspace, keys, options));
  }

  /** See {@link CleaveClient#scan(String, Bytes, Bytes, int)}. */
  public List<ScanEntry> scan(String keyspace, Bytes start, Bytes end, int limit) {
    return Await.result(client.scan(keyspace, start, end, limit));
  }

  /** See {@link CleaveClient#scan(String, Bytes, Bytes, int, ReadOptions)}. */
  public List<ScanEntry> scan(
      String keyspace, Bytes start, Bytes end, int limit, ReadOptions options) {
    return Await.result(client.scan(keyspace, start, end, limit, options));
  }

  /** See {@link CleaveClient#batchPut(String, List)}. */
  public List<Long> batchPut(String keyspace, List<KeyValue> entries) {
    return Await.result(client.batchPut(keyspace, entries));
  }

  /** See {@link CleaveClient#batchPut(String, List, WriteOptions)}. */
  public List<Long> batchPut(String keyspace, List<KeyValue> entries, WriteOptions options) {
    return Await.result(client.batchPut(keyspace, entries, options));
  }

  /** See {@link CleaveClient#batchDelete(String, List)}. */
  public List<Boolean> batchDelete(String keyspace, List<Bytes> keys) {
    return Await.result(client.batchDelete(keyspace, keys));
  }

  /** See {@link CleaveClient#batchDelete(String, List, WriteOptions)}. */
  public List<Boolean> batchDelete(String keyspace, List<Bytes> keys, WriteOptions options) {
    return Await.result(client.batchDelete(keyspace, keys, options));
  }

  /** See {@link CleaveClient#batchCommand(String, List)}. */
  public List<Bytes> batchCommand(String keyspace, List<KeyValue> commands) {
    return Await.result(client.batchCommand(keyspace, commands));
  }

  /** See {@link CleaveClient#batchCommand(String, List, WriteOptions)}. */
  public List<Bytes> batchCommand(String keyspace, List<KeyValue> commands, WriteOptions options) {
    return Await.result(client.batchCommand(keyspace, commands, options));
  }

  /** The blocking view of {@link CleaveClient#admin()}. */
  public BlockingAdmin admin() {
    return new BlockingAdmin(client.admin());
  }
}
