package io.cleave.testing.history;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A thread-safe recorder of client calls, shared by all client threads of a test.
 *
 * <p>Call {@link #invoke} immediately before sending a request and complete the returned {@link
 * Pending} immediately after the answer (or the give-up). The recorded window must contain the real
 * one: stamping invocation after the send, or completion before the receive, shrinks the window and
 * makes a correct cluster look non-linearizable.
 *
 * <pre>{@code
 * History.Pending call = history.invoke(clientId, Command.write(key, value));
 * try {
 *   client.put(key, value).get(2, SECONDS);
 *   call.ok();
 * } catch (TimeoutException | ExecutionException e) {
 *   call.unknown(); // only call fail() when the server guarantees it did not apply
 * }
 * }</pre>
 */
public final class History {
  private final LongSupplier nanoClock;
  private final AtomicLong nextId = new AtomicLong();
  private final ConcurrentHashMap<Long, Operation> operations = new ConcurrentHashMap<>();

  /** A recorder stamping with {@link System#nanoTime()}, which is monotonic across threads. */
  public History() {
    this(System::nanoTime);
  }

  /**
   * A recorder with another clock, so that tests can build histories with exact, readable times.
   */
  public History(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** Stamps the invocation of {@code command} by {@code clientId} and returns its handle. */
  public Pending invoke(int clientId, Command command) {
    long id = nextId.getAndIncrement();
    // Until completed, the call is recorded as UNKNOWN: a client thread that dies or is abandoned
    // at the end of a run leaves an operation that may or may not have happened.
    Operation pending =
        new Operation(
            id,
            clientId,
            command,
            Operation.Outcome.UNKNOWN,
            null,
            false,
            nanoClock.getAsLong(),
            0);
    operations.put(id, pending);
    return new Pending(pending);
  }

  /**
   * A snapshot of all operations in invocation order; calls not completed yet appear as {@code
   * UNKNOWN}.
   */
  public List<Operation> operations() {
    List<Operation> snapshot = new ArrayList<>(operations.values());
    snapshot.sort(Comparator.comparingLong(Operation::id));
    return snapshot;
  }

  /** Number of invoked operations. */
  public int size() {
    return operations.size();
  }

  /** Writes the snapshot as JSON Lines, one operation a line (see {@link HistoryJson}). */
  public void writeJsonLines(Writer out) throws IOException {
    HistoryJson.write(operations(), out);
  }

  /** Writes the snapshot as a JSON Lines file, for attaching to a failed run. */
  public void writeJsonLines(Path file) throws IOException {
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      writeJsonLines(out);
    }
  }

  /** An invoked call waiting for its outcome; complete it exactly once. */
  public final class Pending {
    private final Operation invoked;
    private final AtomicBoolean completed = new AtomicBoolean();

    private Pending(Operation invoked) {
      this.invoked = invoked;
    }

    /** The recorder's id of this call. */
    public long id() {
      return invoked.id();
    }

    /** A write, delete or CAS was acknowledged (for a CAS: it swapped). */
    public void ok() {
      switch (invoked.type()) {
        case WRITE, DELETE -> complete(Operation.Outcome.OK, null, false);
        case CAS -> complete(Operation.Outcome.OK, null, true);
        case READ -> throw new IllegalStateException("a READ completes with ok(value)");
      }
    }

    /** A read returned {@code valueOrNull} ({@code null} means the key was absent). */
    public void ok(Bytes valueOrNull) {
      requireType(Command.Type.READ);
      complete(Operation.Outcome.OK, valueOrNull, false);
    }

    /** A read found the key absent. */
    public void okAbsent() {
      ok((Bytes) null);
    }

    /** A CAS was answered: {@code succeeded} says whether it swapped. */
    public void ok(boolean succeeded) {
      requireType(Command.Type.CAS);
      complete(Operation.Outcome.OK, null, succeeded);
    }

    /** The call definitely was not applied. */
    public void fail() {
      complete(Operation.Outcome.FAIL, null, false);
    }

    /** The call timed out or its fate is otherwise unknown. */
    public void unknown() {
      complete(Operation.Outcome.UNKNOWN, null, false);
    }

    private void requireType(Command.Type type) {
      if (invoked.type() != type) {
        throw new IllegalStateException("operation " + id() + " is a " + invoked.type());
      }
    }

    private void complete(Operation.Outcome outcome, Bytes observed, boolean casSucceeded) {
      long now = nanoClock.getAsLong();
      if (!completed.compareAndSet(false, true)) {
        throw new IllegalStateException("operation " + id() + " completed twice");
      }
      operations.put(
          invoked.id(),
          new Operation(
              invoked.id(),
              invoked.clientId(),
              invoked.command(),
              outcome,
              observed,
              casSucceeded,
              invoked.invokeNanos(),
              now));
    }
  }
}
