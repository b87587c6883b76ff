package io.cleave.server.node;

import io.cleave.internal.v1.ClientWrite;
import io.cleave.internal.v1.ClientWrites;
import io.cleave.internal.v1.ShardCommand;
import io.cleave.internal.v1.ShardReply;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftClientReply;

/**
 * Group commit of client writes on a shard leader. Per shard at most {@link #MAX_ENTRIES_IN_FLIGHT}
 * log entries of client writes are being replicated at a time; writes that arrive meanwhile wait
 * and leave together, as one entry, when one of those completes. Under load a shard then appends,
 * replicates, fsyncs and applies many writes per log entry instead of one.
 *
 * <p>Why not leave batching to Ratis: its log worker only merges entries that are queued at the
 * same moment, and a closed-loop workload on a busy machine settles into a convoy where every
 * commit frees one client whose next write arrives alone, so every replica fsyncs once per write
 * (measured: ~1 fsync per write on every node with 16 writers, docs/benchmarks.md). Bounding the
 * entries in flight turns the waiting time into batch size: a write waits at most for the entries
 * ahead of it, as it would have in the Raft pipeline anyway.
 *
 * <p>An entry fails or succeeds as a whole at the Raft level (not leader, timeout); each write in
 * it still gets its own outcome from the state machine (see {@code ClientWrites}). A resend of a
 * write still waiting or replicating here joins it instead of entering the log a second time; a
 * resend of one already applied goes to the log, where the shard answers it with the stored first
 * outcome ({@code WriteOutcomes}).
 */
public final class WriteBatcher {
  /**
   * Entries of client writes replicating at once per shard: 2 keeps the log pipelined. The JVM
   * system property {@code cleave.writes.entriesInFlight} overrides it (an expert knob for
   * benchmarks, like the {@code raft.*} properties).
   */
  static final int MAX_ENTRIES_IN_FLIGHT =
      Math.max(1, Integer.getInteger("cleave.writes.entriesInFlight", 2));

  static final int MAX_WRITES_PER_ENTRY = 512;

  /**
   * Bytes of writes per entry (one write of any size still goes alone): well under Ratis's appender
   * buffer ({@code RaftSettings}), so an entry never waits for room there.
   */
  static final long MAX_BYTES_PER_ENTRY = 256 * 1024;

  /**
   * Writes a shard may hold waiting (about 10 full entries): beyond that the shard is not keeping
   * up (no quorum, a slow disk) and a write is refused at once instead of queueing without bound.
   */
  static final int MAX_WAITING_WRITES = 10 * MAX_WRITES_PER_ENTRY;

  /** The shard has {@link #MAX_WAITING_WRITES} waiting already; retry later. */
  public static final class Overloaded extends RuntimeException {
    Overloaded(long shardId) {
      super(
          "shard " + shardId + " has " + MAX_WAITING_WRITES + " writes waiting to replicate",
          null,
          false,
          false);
    }
  }

  /** Ratis did not commit the entry holding the write (not leader, timeout, ...). */
  public static final class NotCommitted extends RuntimeException {
    private final transient RaftClientReply reply;

    NotCommitted(RaftClientReply reply) {
      super(String.valueOf(reply.getException()), null, false, false);
      this.reply = reply;
    }

    public RaftClientReply reply() {
      return reply;
    }
  }

  public static final String BATCH_WRITES = "cleave.write.batch.writes";
  public static final String QUEUE_TIME = "cleave.write.queue";
  public static final String COMMIT_TIME = "cleave.write.commit";

  private record Pending(
      ClientWrite write, CompletableFuture<ShardReply> outcome, long queuedNanos) {}

  /** Proposes a command on a shard's Raft group (the node's {@code propose}). */
  public interface Proposer {
    CompletableFuture<RaftClientReply> propose(long shardId, ShardCommand command);
  }

  private final Proposer proposer;
  private final Map<Long, ShardQueue> queues = new ConcurrentHashMap<>();
  // Meters live here from the start and reach the node's registry once it is bound (NodeMetrics).
  private final CompositeMeterRegistry meters = new CompositeMeterRegistry();
  private final DistributionSummary batchWrites =
      DistributionSummary.builder(BATCH_WRITES)
          .description("client writes per log entry (group commit)")
          .register(meters);
  private final Timer queueTime =
      Timer.builder(QUEUE_TIME)
          .description("time a client write waits for a free slot in its shard's log pipeline")
          .register(meters);
  private final Timer commitTime =
      Timer.builder(COMMIT_TIME)
          .description("time from proposing a log entry of client writes to its applied reply")
          .register(meters);

  public WriteBatcher(Proposer proposer) {
    this.proposer = proposer;
  }

  /** Publishes this batcher's meters in {@code registry}. */
  public void bindTo(MeterRegistry registry) {
    meters.add(registry);
  }

  /**
   * Proposes {@code write} on the shard (led by this node) and completes with the state machine's
   * reply for it, or exceptionally with {@link NotCommitted}, {@link Overloaded} or the proposal's
   * failure. The same write (request id and ops) waiting or replicating here is joined instead.
   */
  public CompletableFuture<ShardReply> submit(long shardId, ClientWrite write) {
    Pending pending = new Pending(write, new CompletableFuture<>(), System.nanoTime());
    while (true) {
      ShardQueue queue = queues.computeIfAbsent(shardId, ShardQueue::new);
      Pending joined;
      try {
        joined = queue.add(pending);
      } catch (Overloaded e) {
        return CompletableFuture.failedFuture(e);
      }
      if (joined == pending) {
        queue.sendIfRoom();
      }
      if (joined != null) {
        return joined.outcome();
      }
      // The queue was retired between lookup and add: take a fresh one.
    }
  }

  /** Writes waiting for one shard, and how many of its entries are replicating. */
  private final class ShardQueue {
    private final long shardId;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    // Writes with a request id, waiting or replicating: a resend of one joins it. Keyed by the
    // whole write: a resend whose keys were regrouped (a split between attempts) is another write.
    private final Map<ClientWrite, Pending> resendable = new HashMap<>();
    private int inFlight;
    private boolean retired;

    ShardQueue(long shardId) {
      this.shardId = shardId;
    }

    /**
     * Queues {@code pending}, or returns the same write already waiting or replicating (a resend
     * joins the first attempt); null when this queue is retired.
     */
    synchronized Pending add(Pending pending) {
      if (retired) {
        return null;
      }
      boolean hasId = hasRequestId(pending);
      if (hasId) {
        Pending same = resendable.get(pending.write());
        if (same != null) {
          return same;
        }
      }
      if (waiting.size() >= MAX_WAITING_WRITES) {
        throw new Overloaded(shardId);
      }
      waiting.add(pending);
      if (hasId) {
        resendable.put(pending.write(), pending);
      }
      return pending;
    }

    void sendIfRoom() {
      List<Pending> batch = new ArrayList<>();
      synchronized (this) {
        if (inFlight >= MAX_ENTRIES_IN_FLIGHT || waiting.isEmpty()) {
          return;
        }
        long bytes = 0;
        while (!waiting.isEmpty() && batch.size() < MAX_WRITES_PER_ENTRY) {
          long size = waiting.peek().write().getSerializedSize();
          if (!batch.isEmpty() && bytes + size > MAX_BYTES_PER_ENTRY) {
            break;
          }
          bytes += size;
          batch.add(waiting.poll());
        }
        inFlight++;
      }
      long now = System.nanoTime();
      batch.forEach(p -> queueTime.record(now - p.queuedNanos(), TimeUnit.NANOSECONDS));
      batchWrites.record(batch.size());
      ClientWrites.Builder writes = ClientWrites.newBuilder();
      batch.forEach(p -> writes.addWrites(p.write()));
      ShardCommand command =
          ShardCommand.newBuilder()
              .setLeaderTimeMillis(System.currentTimeMillis())
              .setWrites(writes)
              .build();
      CompletableFuture<RaftClientReply> proposed;
      try {
        proposed = proposer.propose(shardId, command);
      } catch (RuntimeException e) {
        proposed = CompletableFuture.failedFuture(e);
      }
      proposed.whenComplete(
          (reply, failure) -> {
            commitTime.record(System.nanoTime() - now, TimeUnit.NANOSECONDS);
            synchronized (this) {
              inFlight--;
              batch.forEach(p -> resendable.remove(p.write(), p));
            }
            complete(batch, reply, failure);
            sendIfRoom();
            retireIfIdle();
          });
    }

    private synchronized void retireIfIdle() {
      if (inFlight == 0 && waiting.isEmpty()) {
        retired = true;
        queues.remove(shardId, this);
      }
    }
  }

  private static boolean hasRequestId(Pending pending) {
    return !pending.write().getRequestId().getClientId().isEmpty();
  }

  private static void complete(List<Pending> batch, RaftClientReply reply, Throwable failure) {
    if (failure != null) {
      batch.forEach(p -> p.outcome().completeExceptionally(failure));
      return;
    }
    if (!reply.isSuccess()) {
      NotCommitted notCommitted = new NotCommitted(reply);
      batch.forEach(p -> p.outcome().completeExceptionally(notCommitted));
      return;
    }
    ShardReply shardReply;
    try {
      shardReply = CleaveNode.parseReply(reply);
    } catch (RuntimeException e) {
      batch.forEach(p -> p.outcome().completeExceptionally(e));
      return;
    }
    if (!shardReply.hasReplies()) {
      // The whole entry was refused before its writes were looked at.
      batch.forEach(p -> p.outcome().complete(shardReply));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).outcome().complete(shardReply.getReplies().getReplies(i));
    }
  }
}
