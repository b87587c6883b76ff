package io.cleave.bench.ycsb;

import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.Consistency;
import io.cleave.client.GetResult;
import io.cleave.client.ReadOptions;
import io.cleave.client.ScanEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.TimeUnit;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB binding for the Cleave client. One {@link CleaveClient} is shared by all YCSB threads of the
 * JVM (the client is thread-safe and multiplexes calls over one gRPC channel per node), as the etcd
 * and RheaKV bindings used for comparison share theirs.
 *
 * <p>Mapping: the YCSB table is a Cleave keyspace (create it first, e.g. {@code bench/ycsb.sh}
 * does; {@code cleave.keyspace} overrides the name), the YCSB key is the Cleave key, and the
 * record's field map is one value encoded as {@code int count, (UTF name, int length, bytes)*} --
 * the same encoding as the peer bindings, so every system stores the same bytes. {@code update}
 * overwrites the record with the given fields (no read-modify-write), as the peers do; with the
 * benchmark's {@code fieldcount=1} that is the whole record. {@code scan} (workload E) reads {@code
 * recordcount} keys from {@code startkey} in key order, which needs a RANGE keyspace ({@code
 * bench/ycsb.sh --partitioning range}); a HASH keyspace refuses it.
 *
 * <p>Properties: {@code cleave.endpoints} (default {@code 127.0.0.1:7001}), {@code cleave.stale}
 * (default false: linearizable reads at the shard leader; true: STALE reads),{@code
 * cleave.timeout.ms} (default 10000, per call, retries included), {@code cleave.keyspace}, {@code
 * cleave.maxCallsInFlight} (the client's merging of reads and puts, {@code
 * CleaveClient.Builder#maxCallsInFlight}; default: the client's default, 0 = off).
 */
public final class CleaveYcsbClient extends DB {
  private static final Object LOCK = new Object();
  private static CleaveClient shared;
  private static int refs;

  private CleaveClient client;
  private ReadOptions readOptions;
  private long timeoutMs;
  private String keyspace;

  @Override
  public void init() throws DBException {
    Properties p = getProperties();
    String endpoints = p.getProperty("cleave.endpoints", "127.0.0.1:7001");
    boolean stale = Boolean.parseBoolean(p.getProperty("cleave.stale", "false"));
    timeoutMs = Long.parseLong(p.getProperty("cleave.timeout.ms", "10000"));
    keyspace = p.getProperty("cleave.keyspace");
    String callsInFlight = p.getProperty("cleave.maxCallsInFlight");
    readOptions =
        ReadOptions.builder()
            .consistency(stale ? Consistency.STALE : Consistency.LINEARIZABLE)
            .build();
    synchronized (LOCK) {
      if (shared == null) {
        CleaveClient.Builder builder =
            CleaveClient.builder()
                .endpoints(endpoints.split(","))
                .defaultTimeout(Duration.ofMillis(timeoutMs));
        if (callsInFlight != null) {
          builder.maxCallsInFlight(Integer.parseInt(callsInFlight));
        }
        shared = builder.build();
      }
      refs++;
      client = shared;
    }
  }

  @Override
  public void cleanup() throws DBException {
    synchronized (LOCK) {
      if (--refs == 0) {
        shared.close();
        shared = null;
      }
    }
  }

  private String ks(String table) {
    return keyspace != null ? keyspace : table;
  }

  private static Bytes key(String key) {
    return Bytes.utf8(key);
  }

  /** The record's field map as one value. */
  static byte[] encode(Map<String, ByteIterator> values) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(values.size());
      for (Map.Entry<String, ByteIterator> e : values.entrySet()) {
        out.writeUTF(e.getKey());
        byte[] v = e.getValue().toArray();
        out.writeInt(v.length);
        out.write(v);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Decodes {@link #encode}'s output, keeping {@code fields} (all when null). */
  static void decode(byte[] value, Set<String> fields, Map<String, ByteIterator> result) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(value));
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        byte[] v = new byte[in.readInt()];
        in.readFully(v);
        if (fields == null || fields.contains(name)) {
          result.put(name, new ByteArrayByteIterator(v));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Status read(
      String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
    try {
      GetResult r =
          client.get(ks(table), key(key), readOptions).get(timeoutMs, TimeUnit.MILLISECONDS);
      if (!r.found()) {
        return Status.NOT_FOUND;
      }
      decode(r.value().toByteArray(), fields, result);
      return Status.OK;
    } catch (Exception e) {
      return error(e);
    }
  }

  @Override
  public Status scan(
      String table,
      String startkey,
      int recordcount,
      Set<String> fields,
      Vector<HashMap<String, ByteIterator>> result) {
    try {
      List<ScanEntry> entries =
          client
              .scan(ks(table), key(startkey), Bytes.EMPTY, recordcount, readOptions)
              .get(timeoutMs, TimeUnit.MILLISECONDS);
      for (ScanEntry entry : entries) {
        HashMap<String, ByteIterator> record = new HashMap<>();
        decode(entry.value().toByteArray(), fields, record);
        result.add(record);
      }
      return Status.OK;
    } catch (Exception e) {
      return error(e);
    }
  }

  @Override
  public Status update(String table, String key, Map<String, ByteIterator> values) {
    return insert(table, key, values);
  }

  @Override
  public Status insert(String table, String key, Map<String, ByteIterator> values) {
    try {
      client
          .put(ks(table), key(key), Bytes.of(encode(values)))
          .get(timeoutMs, TimeUnit.MILLISECONDS);
      return Status.OK;
    } catch (Exception e) {
      return error(e);
    }
  }

  @Override
  public Status delete(String table, String key) {
    try {
      client.delete(ks(table), key(key)).get(timeoutMs, TimeUnit.MILLISECONDS);
      return Status.OK;
    } catch (Exception e) {
      return error(e);
    }
  }

  private static final java.util.concurrent.atomic.AtomicInteger LOGGED =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Counts as an error; the first few causes go to stderr so a failed run says why. */
  private static Status error(Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    if (LOGGED.incrementAndGet() <= 5) {
      System.err.println("cleave binding error: " + e);
    }
    return Status.ERROR;
  }
}
