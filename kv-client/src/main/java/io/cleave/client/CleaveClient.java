package io.cleave.client;

import com.google.protobuf.UnsafeByteOperations;
import io.cleave.api.Limits;
import io.cleave.api.ValuePerKey;
import io.cleave.api.v1.BatchEntry;
import io.cleave.api.v1.BatchRequest;
import io.cleave.api.v1.BatchResult;
import io.cleave.api.v1.CommandRequest;
import io.cleave.api.v1.CompareAndSetRequest;
import io.cleave.api.v1.DeleteRequest;
import io.cleave.api.v1.GetRequest;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.PutRequest;
import io.cleave.api.v1.QueryRequest;
import io.cleave.api.v1.ReadConsistency;
import io.cleave.api.v1.RouteHint;
import io.cleave.api.v1.ScanRequest;
import io.cleave.client.internal.AnyNode;
import io.cleave.client.internal.Backoff;
import io.cleave.client.internal.BatchOp;
import io.cleave.client.internal.Channels;
import io.cleave.client.internal.Coalescer;
import io.cleave.client.internal.Counters;
import io.cleave.client.internal.Dispatcher;
import io.cleave.client.internal.Errors;
import io.cleave.client.internal.MapLoader;
import io.cleave.client.internal.RoutingCache;
import io.cleave.client.internal.SingleKeyOp;
import io.grpc.ChannelCredentials;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A connection to a Cleave cluster. Thread-safe; make one per cluster and share it.
 *
 * <pre>{@code
 * try (CleaveClient client = CleaveClient.builder().endpoints("127.0.0.1:7001").build()) {
 *   client.put("users", Bytes.utf8("ada"), Bytes.utf8("lovelace")).join();
 *   GetResult r = client.blocking().get("users", Bytes.utf8("ada"));
 * }
 * }</pre>
 *
 * <p>Every call is sent to the leader of the shard owning its key, found in a routing cache that is
 * loaded from any endpoint on first use and repaired from the errors nodes return after a split,
 * merge or leader change. Retryable failures are retried with backoff within the call's timeout
 * (the client's default unless the call's options set one); see {@link ClientMetrics} for what that
 * costs. Calls throw {@link IllegalArgumentException} synchronously for a key that is empty or
 * longer than {@link io.cleave.api.Limits#MAX_KEY_BYTES}; every other failure completes the future
 * with a {@link CleaveException}.
 */
public final class CleaveClient implements AutoCloseable {
  private final Duration defaultTimeout;
  private final Channels channels;
  private final Counters counters = new Counters();
  private final ScheduledExecutorService scheduler;
  private final Dispatcher dispatcher;
  private final Coalescer<Bytes, ReadOptions, GetResult> reads;
  private final Coalescer<KeyValue, WriteOptions, BatchResult> puts;
  private final Admin admin;
  private final BlockingClient blocking;

  private CleaveClient(Builder builder) {
    this.defaultTimeout = builder.defaultTimeout;
    Backoff backoff = new Backoff(builder.initialBackoff, builder.maxBackoff);
    this.channels = new Channels(builder.channelFactory(), backoff.maxNanos());
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "cleave-client-retry");
              t.setDaemon(true); // a forgotten close() must not keep the JVM alive
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    this.scheduler = timer;
    RoutingCache cache = new RoutingCache();
    AnyNode anyNode = new AnyNode(builder.endpoints, cache, channels);
    MapLoader maps = new MapLoader(anyNode, cache, counters);
    this.dispatcher =
        new Dispatcher(cache, channels, maps, backoff, builder.maxRetries, scheduler, counters);
    // Reads merge with reads of the same consistency and timeout; puts with puts of the same
    // timeout.
    this.reads =
        new Coalescer<>(
            builder.maxCallsInFlight,
            o -> Arrays.asList(o.consistency(), o.timeout()),
            this::getAlone,
            this::batchGet,
            counters);
    this.puts =
        new Coalescer<>(
            builder.maxCallsInFlight,
            WriteOptions::timeout,
            this::putAlone,
            this::independentPuts,
            counters);
    this.admin = new Admin(anyNode, this::deadline, backoff, scheduler);
    this.blocking = new BlockingClient(this);
  }

  /** A builder; {@link Builder#endpoints} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The same calls, blocking: waits for each and rethrows its {@link CleaveException}. */
  public BlockingClient blocking() {
    return blocking;
  }

  /** Keyspace and cluster administration. */
  public Admin admin() {
    return admin;
  }

  /** A snapshot of the client's running totals (calls, RPC attempts, retries, map reloads). */
  public ClientMetrics metrics() {
    return new ClientMetrics(
        counters.calls.sum(),
        counters.attempts.sum(),
        counters.routingRetries.sum(),
        counters.backoffRetries.sum(),
        counters.mapReloads.sum(),
        counters.failures.sum());
  }

  /**
   * A handle on {@code keyspace} that encodes commands and queries with {@code type}'s codecs. The
   * type must be the one the keyspace was registered with (its {@link ValuePerKey#name()}); the
   * client does not check, a mismatch shows as INVALID_ARGUMENT or garbage results.
   */
  public <V, C, Q, R> TypedKeyspace<V, C, Q, R> keyspace(
      String keyspace, ValuePerKey<V, C, Q, R> type) {
    Dispatcher.checkKeyspace(keyspace);
    return new TypedKeyspace<>(this, keyspace, Objects.requireNonNull(type));
  }

  // ---------------------------------------------------------------- single key

  /** Reads {@code key}, linearizably. */
  public CompletableFuture<GetResult> get(String keyspace, Bytes key) {
    return get(keyspace, key, ReadOptions.DEFAULT);
  }

  /**
   * Reads {@code key}. While the client has enough reads of this keyspace in flight (see {@link
   * Builder#maxCallsInFlight}), it waits for one of them and leaves merged with the other reads
   * waiting, as one batch read.
   */
  public CompletableFuture<GetResult> get(String keyspace, Bytes key, ReadOptions options) {
    checkBeforeMerging(keyspace, key);
    return reads.call(keyspace, key, options);
  }

  /** Checked before a call may wait, so a bad one fails its caller at once, never a batch. */
  private static void checkBeforeMerging(String keyspace, Bytes key) {
    Objects.requireNonNull(key, "key");
    Dispatcher.checkKeyspace(keyspace);
    Dispatcher.checkKey(key.array());
  }

  private CompletableFuture<GetResult> getAlone(String keyspace, Bytes key, ReadOptions options) {
    return single(
        keyspace,
        key,
        false,
        options.consistency() == Consistency.STALE,
        KvServiceGrpc.getGetMethod(),
        route ->
            GetRequest.newBuilder()
                .setKeyspace(keyspace)
                .setKey(key.toByteString())
                .setConsistency(consistency(options))
                .setRoute(route)
                .build(),
        options.timeout(),
        r -> r.getFound() ? new GetResult(true, Bytes.of(r.getValue()), r.getVersion()) : miss());
  }

  /** Sets {@code key} to {@code value}; completes with the key's new version. */
  public CompletableFuture<Long> put(String keyspace, Bytes key, Bytes value) {
    return put(keyspace, key, value, WriteOptions.DEFAULT);
  }

  /**
   * Sets {@code key} to {@code value}; completes with the key's new version. While the client has
   * enough puts to this keyspace in flight (see {@link Builder#maxCallsInFlight}), it waits for one
   * of them and leaves merged with the other puts waiting, as one batch whose entries the shards
   * still treat as separate calls (each applied once, a bad one refused alone).
   */
  public CompletableFuture<Long> put(
      String keyspace, Bytes key, Bytes value, WriteOptions options) {
    Objects.requireNonNull(value, "value");
    checkBeforeMerging(keyspace, key);
    return puts.call(keyspace, new KeyValue(key, value), options).thenApply(this::versionOrError);
  }

  private CompletableFuture<BatchResult> putAlone(
      String keyspace, KeyValue pair, WriteOptions options) {
    return single(
        keyspace,
        pair.key(),
        true,
        false,
        KvServiceGrpc.getPutMethod(),
        route ->
            PutRequest.newBuilder()
                .setKeyspace(keyspace)
                .setKey(pair.key().toByteString())
                .setValue(pair.value().toByteString())
                .setRoute(route)
                .build(),
        options.timeout(),
        r -> BatchResult.newBuilder().setVersion(r.getVersion()).build());
  }

  private CompletableFuture<List<BatchResult>> independentPuts(
      String keyspace, List<KeyValue> pairs, WriteOptions options) {
    BatchOp op =
        new BatchOp(
            keyspace,
            BatchRequest.Kind.PUT,
            pairEntries(pairs),
            ReadConsistency.LINEARIZABLE,
            true);
    return dispatcher
        .execute(keyspace, op, deadline(options.timeout()))
        .thenApply(v -> op.results());
  }

  /** A merged put's version, or the error its node answered for it alone. */
  private long versionOrError(BatchResult result) {
    if (result.hasError()) {
      counters.failures.increment(); // its batch succeeded, so the dispatcher did not count it
      throw Errors.toException(
          Status.fromCodeValue(result.getError().getCode())
              .withDescription(result.getError().getMessage())
              .asRuntimeException(),
          true);
    }
    return result.getVersion();
  }

  /** Deletes {@code key}; completes with whether it existed. */
  public CompletableFuture<Boolean> delete(String keyspace, Bytes key) {
    return delete(keyspace, key, WriteOptions.DEFAULT);
  }

  /** Deletes {@code key}; completes with whether it existed. */
  public CompletableFuture<Boolean> delete(String keyspace, Bytes key, WriteOptions options) {
    return single(
        keyspace,
        key,
        true,
        false,
        KvServiceGrpc.getDeleteMethod(),
        route ->
            DeleteRequest.newBuilder()
                .setKeyspace(keyspace)
                .setKey(key.toByteString())
                .setRoute(route)
                .build(),
        options.timeout(),
        r -> r.getDeleted());
  }

  /** Atomically applies {@code update} to {@code key} if {@code expected} holds. */
  public CompletableFuture<CasResult> compareAndSet(
      String keyspace, Bytes key, Expectation expected, Update update) {
    return compareAndSet(keyspace, key, expected, update, WriteOptions.DEFAULT);
  }

  /** Atomically applies {@code update} to {@code key} if {@code expected} holds. */
  public CompletableFuture<CasResult> compareAndSet(
      String keyspace, Bytes key, Expectation expected, Update update, WriteOptions options) {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(update, "update");
    return single(
        keyspace,
        key,
        true,
        false,
        KvServiceGrpc.getCompareAndSetMethod(),
        route -> {
          CompareAndSetRequest.Builder request =
              CompareAndSetRequest.newBuilder()
                  .setKeyspace(keyspace)
                  .setKey(key.toByteString())
                  .setRoute(route);
          expected.applyTo(request);
          update.applyTo(request);
          return request.build();
        },
        options.timeout(),
        r -> new CasResult(r.getSucceeded(), r.getFound(), Bytes.of(r.getValue()), r.getVersion()));
  }

  /**
   * Runs a command of the keyspace's value type on {@code key}; completes with the encoded result.
   * Commands are not idempotent in general: one whose deadline passes in flight fails with {@link
   * UnknownOutcomeException} and is not retried.
   */
  public CompletableFuture<Bytes> command(String keyspace, Bytes key, Bytes argument) {
    return command(keyspace, key, argument, WriteOptions.DEFAULT);
  }

  /** Runs a command; see {@link #command(String, Bytes, Bytes)}. */
  public CompletableFuture<Bytes> command(
      String keyspace, Bytes key, Bytes argument, WriteOptions options) {
    Objects.requireNonNull(argument, "argument");
    return single(
        keyspace,
        key,
        true,
        false,
        KvServiceGrpc.getCommandMethod(),
        route ->
            CommandRequest.newBuilder()
                .setKeyspace(keyspace)
                .setKey(key.toByteString())
                .setArgument(argument.toByteString())
                .setRoute(route)
                .build(),
        options.timeout(),
        r -> Bytes.of(r.getResult()));
  }

  /** Runs a query of the keyspace's value type; empty when the key does not exist. */
  public CompletableFuture<Optional<Bytes>> query(String keyspace, Bytes key, Bytes argument) {
    return query(keyspace, key, argument, ReadOptions.DEFAULT);
  }

  /** Runs a query of the keyspace's value type; empty when the key does not exist. */
  public CompletableFuture<Optional<Bytes>> query(
      String keyspace, Bytes key, Bytes argument, ReadOptions options) {
    Objects.requireNonNull(argument, "argument");
    return single(
        keyspace,
        key,
        false,
        options.consistency() == Consistency.STALE,
        KvServiceGrpc.getQueryMethod(),
        route ->
            QueryRequest.newBuilder()
                .setKeyspace(keyspace)
                .setKey(key.toByteString())
                .setArgument(argument.toByteString())
                .setConsistency(consistency(options))
                .setRoute(route)
                .build(),
        options.timeout(),
        r -> r.getFound() ? Optional.of(Bytes.of(r.getResult())) : Optional.empty());
  }

  // ---------------------------------------------------------------- batches

  /**
   * Reads many keys. They are grouped by shard and the groups read in parallel; the results come
   * back in the order of {@code keys}. Each group is linearizable on its own; the batch as a whole
   * is not a snapshot across shards.
   */
  public CompletableFuture<List<GetResult>> batchGet(String keyspace, List<Bytes> keys) {
    return batchGet(keyspace, keys, ReadOptions.DEFAULT);
  }

  /** Reads many keys; see {@link #batchGet(String, List)}. */
  public CompletableFuture<List<GetResult>> batchGet(
      String keyspace, List<Bytes> keys, ReadOptions options) {
    return batch(
        keyspace,
        BatchRequest.Kind.GET,
        keyEntries(keys),
        consistency(options),
        options.timeout(),
        r -> r.getFound() ? new GetResult(true, Bytes.of(r.getPayload()), r.getVersion()) : miss());
  }

  /**
   * Writes many keys; completes with each key's new version, in the order of {@code entries}.
   * Atomic per shard only: on failure some shards' groups may have been applied.
   */
  public CompletableFuture<List<Long>> batchPut(String keyspace, List<KeyValue> entries) {
    return batchPut(keyspace, entries, WriteOptions.DEFAULT);
  }

  /** Writes many keys; see {@link #batchPut(String, List)}. */
  public CompletableFuture<List<Long>> batchPut(
      String keyspace, List<KeyValue> entries, WriteOptions options) {
    return batch(
        keyspace,
        BatchRequest.Kind.PUT,
        pairEntries(entries),
        ReadConsistency.LINEARIZABLE,
        options.timeout(),
        BatchResult::getVersion);
  }

  /** Deletes many keys; completes with whether each existed, in the order of {@code keys}. */
  public CompletableFuture<List<Boolean>> batchDelete(String keyspace, List<Bytes> keys) {
    return batchDelete(keyspace, keys, WriteOptions.DEFAULT);
  }

  /** Deletes many keys; see {@link #batchDelete(String, List)}. */
  public CompletableFuture<List<Boolean>> batchDelete(
      String keyspace, List<Bytes> keys, WriteOptions options) {
    return batch(
        keyspace,
        BatchRequest.Kind.DELETE,
        keyEntries(keys),
        ReadConsistency.LINEARIZABLE,
        options.timeout(),
        BatchResult::getFound);
  }

  /**
   * Runs a command on each key (the {@link KeyValue#value()} is its encoded argument); completes
   * with the encoded results in the order of {@code commands}.
   */
  public CompletableFuture<List<Bytes>> batchCommand(String keyspace, List<KeyValue> commands) {
    return batchCommand(keyspace, commands, WriteOptions.DEFAULT);
  }

  /** Runs many commands; see {@link #batchCommand(String, List)}. */
  public CompletableFuture<List<Bytes>> batchCommand(
      String keyspace, List<KeyValue> commands, WriteOptions options) {
    return batch(
        keyspace,
        BatchRequest.Kind.COMMAND,
        pairEntries(commands),
        ReadConsistency.LINEARIZABLE,
        options.timeout(),
        r -> Bytes.of(r.getPayload()));
  }

  // ---------------------------------------------------------------- scans

  /**
   * The keys of a RANGE keyspace from {@code start} (inclusive) to {@code end} (exclusive), in key
   * order, with their values: at most {@code limit} of them. See {@link #scan(String, Bytes, Bytes,
   * int, ReadOptions)}.
   */
  public CompletableFuture<List<ScanEntry>> scan(
      String keyspace, Bytes start, Bytes end, int limit) {
    return scan(keyspace, start, end, limit, ReadOptions.DEFAULT);
  }

  /**
   * The keys of a RANGE keyspace from {@code start} (inclusive) to {@code end} (exclusive), in key
   * order, with their values: at most {@code limit} of them. An empty {@code start} is the
   * keyspace's first key, an empty {@code end} its last. A HASH keyspace keeps its keys in hash
   * order and cannot be scanned (FAILED_PRECONDITION).
   *
   * <p>The scan reads one shard and at most {@link Limits#MAX_SCAN_PAGE_ENTRIES} keys (or about
   * {@link Limits#SCAN_PAGE_BYTES} bytes) per call, one call after another; the timeout applies to
   * each call. Each page is linearizable (unless STALE) and a consistent view of its shard; the
   * pages are read at different moments, so the scan as a whole is not a snapshot of the keyspace
   * (TiKV's raw scans behave the same). To read a large range piece by piece, call again with
   * {@code start} just after the last key returned ({@link #keyAfter}).
   */
  public CompletableFuture<List<ScanEntry>> scan(
      String keyspace, Bytes start, Bytes end, int limit, ReadOptions options) {
    Dispatcher.checkKeyspace(keyspace);
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(end, "end");
    Objects.requireNonNull(options, "options");
    if (limit < 1) {
      throw new IllegalArgumentException("scan limit must be at least 1, got " + limit);
    }
    checkScanBound(start, "start");
    checkScanBound(end, "end");
    if (!end.isEmpty() && start.compareTo(end) >= 0) {
      throw new IllegalArgumentException("scan end must be after its start");
    }
    return scanFrom(keyspace, start.array(), end, limit, options, new ArrayList<>());
  }

  /**
   * The smallest key after {@code key}: {@code key} with a zero byte appended. The start of the
   * next piece of a scan that returned {@code key} last.
   */
  public static Bytes keyAfter(Bytes key) {
    return Bytes.of(Arrays.copyOf(key.array(), key.size() + 1));
  }

  private static void checkScanBound(Bytes bound, String what) {
    // A key, or a key with one byte appended (keyAfter).
    if (bound.size() > Limits.MAX_KEY_BYTES + 1) {
      throw new IllegalArgumentException(
          "scan "
              + what
              + " has "
              + bound.size()
              + " bytes, more than "
              + (Limits.MAX_KEY_BYTES + 1));
    }
  }

  private CompletableFuture<List<ScanEntry>> scanFrom(
      String keyspace,
      byte[] from,
      Bytes end,
      int limit,
      ReadOptions options,
      List<ScanEntry> found) {
    int pageLimit = Math.min(limit - found.size(), Limits.MAX_SCAN_PAGE_ENTRIES);
    // Pages are routed like a read of their first key. No key is empty, so [0] (the smallest key)
    // stands for an empty start; a key after a longest key routes as that key, its shard's too.
    byte[] routeKey =
        from.length == 0
            ? new byte[] {0}
            : Arrays.copyOf(from, Math.min(from.length, Limits.MAX_KEY_BYTES));
    return single(
            keyspace,
            Bytes.of(routeKey),
            false,
            options.consistency() == Consistency.STALE,
            KvServiceGrpc.getScanMethod(),
            route ->
                ScanRequest.newBuilder()
                    .setKeyspace(keyspace)
                    .setStart(UnsafeByteOperations.unsafeWrap(from))
                    .setEnd(end.toByteString())
                    .setLimit(pageLimit)
                    .setConsistency(consistency(options))
                    .setRoute(route)
                    .build(),
            options.timeout(),
            response -> response)
        .thenCompose(
            page -> {
              for (io.cleave.api.v1.ScanEntry entry : page.getEntriesList()) {
                found.add(
                    new ScanEntry(
                        Bytes.of(entry.getKey()), Bytes.of(entry.getValue()), entry.getVersion()));
              }
              if (found.size() >= limit || page.getResumeKey().isEmpty()) {
                return CompletableFuture.completedFuture(List.copyOf(found));
              }
              return scanFrom(
                  keyspace, page.getResumeKey().toByteArray(), end, limit, options, found);
            });
  }

  /** Shuts down every channel and the retry timer; calls in flight fail with CANCELLED. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    dispatcher.close();
    channels.close();
  }

  // ---------------------------------------------------------------- plumbing

  private <Q, A, T> CompletableFuture<T> single(
      String keyspace,
      Bytes key,
      boolean write,
      boolean anyReplica,
      MethodDescriptor<Q, A> method,
      Function<RouteHint, Q> request,
      Duration timeout,
      Function<A, T> result) {
    Objects.requireNonNull(key, "key");
    SingleKeyOp<Q, A> op = new SingleKeyOp<>(method, key.array(), write, anyReplica, request);
    return dispatcher
        .execute(keyspace, op, deadline(timeout))
        .thenApply(v -> result.apply(op.response()));
  }

  private <T> CompletableFuture<List<T>> batch(
      String keyspace,
      BatchRequest.Kind kind,
      List<BatchEntry> entries,
      ReadConsistency consistency,
      Duration timeout,
      Function<BatchResult, T> result) {
    BatchOp op = new BatchOp(keyspace, kind, entries, consistency);
    return dispatcher
        .execute(keyspace, op, deadline(timeout))
        .thenApply(v -> op.results().stream().map(result).toList());
  }

  private static List<BatchEntry> keyEntries(Collection<Bytes> keys) {
    List<BatchEntry> entries = new ArrayList<>(keys.size());
    for (Bytes key : keys) {
      entries.add(
          BatchEntry.newBuilder().setKey(Objects.requireNonNull(key).toByteString()).build());
    }
    return entries;
  }

  private static List<BatchEntry> pairEntries(Collection<KeyValue> pairs) {
    List<BatchEntry> entries = new ArrayList<>(pairs.size());
    for (KeyValue pair : pairs) {
      entries.add(
          BatchEntry.newBuilder()
              .setKey(pair.key().toByteString())
              .setPayload(pair.value().toByteString())
              .build());
    }
    return entries;
  }

  private static ReadConsistency consistency(ReadOptions options) {
    return options.consistency() == Consistency.STALE
        ? ReadConsistency.STALE
        : ReadConsistency.LINEARIZABLE;
  }

  private static GetResult miss() {
    return GetResult.NOT_FOUND;
  }

  private Deadline deadline(Duration timeout) {
    Duration budget = timeout == null ? defaultTimeout : timeout;
    return Deadline.after(budget.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Configures a {@link CleaveClient}. */
  public static final class Builder {
    private List<String> endpoints = List.of();
    private Duration defaultTimeout = Duration.ofSeconds(5);
    private int maxRetries = 10;
    private Duration initialBackoff = Duration.ofMillis(20);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private ChannelCredentials credentials = InsecureChannelCredentials.create();
    private Function<String, ManagedChannelBuilder<?>> channelBuilder;
    private int maxCallsInFlight = 1;

    private Builder() {}

    /**
     * Node addresses ({@code host:port}) to load the cluster map from; any one that answers is
     * enough, the map names the rest. Required.
     */
    public Builder endpoints(String... endpoints) {
      return endpoints(Arrays.asList(endpoints));
    }

    /** Node addresses to load the cluster map from; see {@link #endpoints(String...)}. */
    public Builder endpoints(Collection<String> endpoints) {
      this.endpoints = List.copyOf(endpoints);
      return this;
    }

    /** Time budget of a call, retries included, unless its options set another. Default 5 s. */
    public Builder defaultTimeout(Duration timeout) {
      this.defaultTimeout = Options.positive(timeout);
      return this;
    }

    /**
     * Retries allowed per call (per shard group, for batches) after its first attempt; the deadline
     * usually ends a call sooner. Default 10.
     */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * Exponential backoff between retries that wait (busy shard, node down, no leader), with
     * jitter. Default 20 ms doubling up to 1 s. {@code max} is also how long a node that refused a
     * connection is avoided.
     */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = Options.positive(initial);
      this.maxBackoff = Options.positive(max);
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max backoff " + max + " < initial " + initial);
      }
      return this;
    }

    /**
     * Transport security of the channels to nodes; plaintext by default. Pass {@code
     * TlsChannelCredentials.create()} (or a configured builder's) for TLS.
     */
    public Builder credentials(ChannelCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials);
      return this;
    }

    /**
     * Full control over how the channel to a node address is built (keepalive, interceptors, a test
     * transport). Overrides {@link #credentials}. The client calls {@code build()} on the result
     * once per address and owns the channel.
     */
    public Builder channelBuilder(Function<String, ManagedChannelBuilder<?>> channelBuilder) {
      this.channelBuilder = Objects.requireNonNull(channelBuilder);
      return this;
    }

    /**
     * Single-key reads, and puts, per keyspace the client keeps in flight; calls made while that
     * many are out wait, and leave merged as one batch call when one completes. Fewer, larger calls
     * cost the client and the shard leaders less per key under load; an idle client still sends
     * each call at once. Merged calls keep their own outcome: a merged put is applied once and a
     * bad one is refused alone. 0 sends every call alone. Default 1: one call out per keyspace and
     * kind, the rest merged behind it, gave the most throughput and the lowest latency under load
     * on 1 and 8 shards (docs/design/0010, "Calls in flight").
     */
    public Builder maxCallsInFlight(int maxCallsInFlight) {
      if (maxCallsInFlight < 0) {
        throw new IllegalArgumentException(
            "maxCallsInFlight must be >= 0, got " + maxCallsInFlight);
      }
      this.maxCallsInFlight = maxCallsInFlight;
      return this;
    }

    /** The client. Connects lazily: nothing is dialled until the first call. */
    public CleaveClient build() {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("at least one endpoint is required");
      }
      return new CleaveClient(this);
    }

    private Function<String, ManagedChannelBuilder<?>> channelFactory() {
      if (channelBuilder != null) {
        return channelBuilder;
      }
      ChannelCredentials creds = credentials;
      return address -> Grpc.newChannelBuilder(address, creds);
    }
  }
}
