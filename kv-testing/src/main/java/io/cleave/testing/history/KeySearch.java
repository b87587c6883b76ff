package io.cleave.testing.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Wing–Gong–Lowe search for one key's history against a register (the Porcupine design).
 *
 * <p>Call and return entries sit in one doubly linked list in time order. The search walks it from
 * the head: a call may be linearized (removed together with its return) if the model accepts it;
 * reaching a return means that operation had to take effect already, so the last choice is undone.
 * Lowe's cache remembers every (set of linearized operations, register state) reached; reaching one
 * again means it already failed, which is what turns the exponential search into a practical one.
 *
 * <p>{@code UNKNOWN} operations get no return entry: they may be linearized anywhere after their
 * call, and the search succeeds once every acknowledged operation is placed, leaving the rest
 * omitted ("never happened").
 *
 * <p>Not thread-safe; one instance per key and run.
 */
final class KeySearch {
  private static final int ABSENT = 0;

  /**
   * All values that no read observes and no CAS compares against share this id: the model cannot
   * tell them apart, so merging them lets the cache merge states that behave the same.
   */
  private static final int OTHER = 1;

  private static final int REJECT = Integer.MIN_VALUE;
  private static final int NIL = -1;

  private static final byte READ = 0;
  private static final byte WRITE = 1;
  // A CAS that swapped, or an UNKNOWN CAS: only placed where it swaps, since a CAS that did not
  // swap changes nothing and is the same as omitting it.
  private static final byte CAS_SWAP = 2;
  private static final byte CAS_NO_SWAP = 3;

  private final Bytes key;
  private final int recorded;
  private final int unknownRecorded;
  private final long originNanos;

  // Operations the search places, sorted by invocation; index = op id within this search.
  private final Operation[] ops;
  private final byte[] kind;
  private final int[] arg;
  private final int[] expected;
  private final boolean[] known;
  private final int knownCount;
  private final Map<Integer, Bytes> valueOfId = new HashMap<>();

  // Entry list: entry e belongs to op entryOp[e]; HEAD is a sentinel after the real entries.
  private final int[] entryOp;
  private final boolean[] entryIsCall;
  private final int[] next;
  private final int[] prev;
  private final int head;
  private final int[] callEntry;
  private final int[] returnEntry;

  KeySearch(Bytes key, List<Operation> history) {
    this.key = key;
    this.recorded = history.size();
    this.unknownRecorded =
        (int) history.stream().filter(o -> o.outcome() == Operation.Outcome.UNKNOWN).count();
    this.originNanos = history.stream().mapToLong(Operation::invokeNanos).min().orElse(0);

    Map<Bytes, Integer> ids = new HashMap<>();
    valueOfId.put(ABSENT, null);
    boolean anyCasNoSwap = false;
    for (Operation op : history) {
      if (op.outcome() == Operation.Outcome.OK && op.type() == Command.Type.READ) {
        need(ids, op.observed());
      } else if (op.type() == Command.Type.CAS && op.outcome() != Operation.Outcome.FAIL) {
        need(ids, op.command().expected());
        anyCasNoSwap |= op.outcome() == Operation.Outcome.OK && !op.casSucceeded();
      }
    }

    List<Operation> kept = new ArrayList<>();
    for (Operation op : history) {
      if (placeable(op, ids, anyCasNoSwap)) {
        kept.add(op);
      }
    }
    kept.sort(Comparator.comparingLong(Operation::invokeNanos).thenComparingLong(Operation::id));
    int n = kept.size();
    ops = kept.toArray(new Operation[0]);
    kind = new byte[n];
    arg = new int[n];
    expected = new int[n];
    known = new boolean[n];
    int knownOps = 0;
    for (int i = 0; i < n; i++) {
      Operation op = ops[i];
      known[i] = op.outcome() == Operation.Outcome.OK;
      knownOps += known[i] ? 1 : 0;
      switch (op.type()) {
        case READ -> {
          kind[i] = READ;
          arg[i] = id(ids, op.observed());
        }
        case WRITE, DELETE -> {
          kind[i] = WRITE;
          arg[i] = id(ids, op.writtenValue());
        }
        case CAS -> {
          kind[i] = known[i] && !op.casSucceeded() ? CAS_NO_SWAP : CAS_SWAP;
          arg[i] = id(ids, op.writtenValue());
          expected[i] = id(ids, op.command().expected());
        }
      }
    }
    knownCount = knownOps;

    // Calls before returns at equal times: treating touching windows as overlapping can only
    // allow more orders, so clock granularity never produces a false alarm.
    record Entry(long time, boolean isCall, int op) {}
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      entries.add(new Entry(ops[i].invokeNanos(), true, i));
      if (known[i]) {
        entries.add(new Entry(ops[i].completeNanos(), false, i));
      }
    }
    entries.sort(
        Comparator.comparingLong(Entry::time)
            .thenComparing(e -> !e.isCall())
            .thenComparingInt(Entry::op));
    int size = entries.size();
    head = size;
    entryOp = new int[size];
    entryIsCall = new boolean[size];
    next = new int[size + 1];
    prev = new int[size + 1];
    callEntry = new int[n];
    returnEntry = new int[n];
    Arrays.fill(returnEntry, NIL);
    int last = head;
    for (int e = 0; e < size; e++) {
      Entry entry = entries.get(e);
      entryOp[e] = entry.op();
      entryIsCall[e] = entry.isCall();
      if (entry.isCall()) {
        callEntry[entry.op()] = e;
      } else {
        returnEntry[entry.op()] = e;
      }
      next[last] = e;
      prev[e] = last;
      last = e;
    }
    next[last] = NIL;
  }

  private void need(Map<Bytes, Integer> ids, Bytes value) {
    if (value != null && !ids.containsKey(value)) {
      int id = ids.size() + 2;
      ids.put(value, id);
      valueOfId.put(id, value);
    }
  }

  private static int id(Map<Bytes, Integer> ids, Bytes value) {
    return value == null ? ABSENT : ids.getOrDefault(value, OTHER);
  }

  /**
   * Whether the search must consider {@code op}. A FAIL did not happen and an unknown read
   * constrains nothing. An unknown mutation to a value nobody observes can always be omitted from a
   * linearization without breaking it, unless a CAS that did not swap needs the register to hold
   * "something other than expected" at that moment; the search shrinks a lot without them.
   */
  private static boolean placeable(Operation op, Map<Bytes, Integer> ids, boolean anyCasNoSwap) {
    return switch (op.outcome()) {
      case FAIL -> false;
      case OK -> true;
      case UNKNOWN ->
          op.command().mutates() && (anyCasNoSwap || id(ids, op.writtenValue()) != OTHER);
    };
  }

  /** The state after applying op {@code i} to {@code state}, or {@link #REJECT}. */
  private int step(int state, int i) {
    return switch (kind[i]) {
      case READ -> state == arg[i] ? state : REJECT;
      case WRITE -> arg[i];
      case CAS_SWAP -> state == expected[i] ? arg[i] : REJECT;
      default -> state != expected[i] ? state : REJECT;
    };
  }

  /**
   * Runs the search.
   *
   * @param budgetNanos wall time allowed before giving up with {@code UNKNOWN}
   * @param maxConfigurations cache size allowed before giving up with {@code UNKNOWN}, so that a
   *     hard key ends the check instead of the JVM
   */
  CheckResult.KeyResult run(long budgetNanos, long maxConfigurations) {
    long start = System.nanoTime();
    int n = ops.length;
    Set<Configuration> cache = new HashSet<>();
    int[] stackOp = new int[n];
    int[] stackState = new int[n];
    int[] stackFrontier = new int[n];
    int depth = 0;
    int state = ABSENT;
    // Every op below frontier is linearized except those whose call is still in the list; that
    // makes the linearized set cheap to key the cache on (see configuration()).
    int frontier = 0;
    int placedKnown = 0;
    int[] best = new int[0];

    int entry = next[head];
    long steps = 0;
    while (placedKnown < knownCount) {
      if ((++steps & 1023) == 0
          && (System.nanoTime() - start > budgetNanos || cache.size() > maxConfigurations)) {
        best = deeper(best, stackOp, depth);
        return result(Verdict.UNKNOWN, cache.size(), start, undecided(best, budgetNanos, cache));
      }
      if (entry == NIL || !entryIsCall[entry]) {
        // An acknowledged op must have taken effect by now and none of the tried orders placed it.
        // Only a dead end can end the longest prefix, so it is saved here and not on every step.
        best = deeper(best, stackOp, depth);
        if (depth == 0) {
          return result(Verdict.NOT_LINEARIZABLE, cache.size(), start, violation(best));
        }
        depth--;
        int op = stackOp[depth];
        state = stackState[depth];
        frontier = stackFrontier[depth];
        placedKnown -= known[op] ? 1 : 0;
        unlift(op);
        entry = next[callEntry[op]];
        continue;
      }
      int op = entryOp[entry];
      int after = step(state, op);
      if (after != REJECT && cache.add(configuration(op, after, frontier))) {
        stackOp[depth] = op;
        stackState[depth] = state;
        stackFrontier[depth] = frontier;
        depth++;
        state = after;
        frontier = Math.max(frontier, op + 1);
        placedKnown += known[op] ? 1 : 0;
        lift(op);
        entry = next[head];
      } else {
        entry = next[entry];
      }
    }
    return result(Verdict.LINEARIZABLE, cache.size(), start, "");
  }

  private static int[] deeper(int[] best, int[] stack, int depth) {
    return depth > best.length ? Arrays.copyOf(stack, depth) : best;
  }

  /** The cache key for "current set plus {@code op}" in state {@code state}. */
  private Configuration configuration(int op, int state, int frontier) {
    int newFrontier = Math.max(frontier, op + 1);
    // Unplaced ops below the frontier are exactly the calls still listed before the first call at
    // or past it; by the WGL invariant only a few returns sit in between, so this walk is short.
    int[] holes = new int[8];
    int count = 0;
    for (int e = next[head]; e != NIL; e = next[e]) {
      if (!entryIsCall[e]) {
        continue;
      }
      int o = entryOp[e];
      if (o >= newFrontier) {
        break;
      }
      if (o != op) {
        if (count == holes.length) {
          holes = Arrays.copyOf(holes, count * 2);
        }
        holes[count++] = o;
      }
    }
    return new Configuration(state, newFrontier, Arrays.copyOf(holes, count));
  }

  private void lift(int op) {
    remove(callEntry[op]);
    if (returnEntry[op] != NIL) {
      remove(returnEntry[op]);
    }
  }

  private void unlift(int op) {
    // Dancing links: restore in the reverse order of removal.
    if (returnEntry[op] != NIL) {
      restore(returnEntry[op]);
    }
    restore(callEntry[op]);
  }

  private void remove(int e) {
    next[prev[e]] = next[e];
    if (next[e] != NIL) {
      prev[next[e]] = prev[e];
    }
  }

  private void restore(int e) {
    next[prev[e]] = e;
    if (next[e] != NIL) {
      prev[next[e]] = e;
    }
  }

  private CheckResult.KeyResult result(
      Verdict verdict, long explored, long startNanos, String explanation) {
    return new CheckResult.KeyResult(
        key,
        verdict,
        recorded,
        unknownRecorded,
        recorded - ops.length,
        explored,
        Duration.ofNanos(System.nanoTime() - startNanos),
        explanation);
  }

  private String undecided(int[] best, long budgetNanos, Set<Configuration> cache) {
    return "Search gave up after "
        + Duration.ofNanos(budgetNanos).toMillis()
        + " ms budget or "
        + cache.size()
        + " configurations; this is NOT a pass. Deepest linearizable prefix: "
        + best.length
        + " of "
        + ops.length
        + " placeable operations. Fewer operations or fewer UNKNOWN outcomes per key help.";
  }

  /**
   * Explains a violation from the longest linearizable prefix: what the register held then, which
   * acknowledged op had to take effect next, and why each candidate could not.
   */
  private String violation(int[] best) {
    StringBuilder s = new StringBuilder();
    boolean[] placed = new boolean[ops.length];
    int state = ABSENT;
    Bytes value = null;
    s.append("No order of the ")
        .append(ops.length)
        .append(" placeable operations fits a register that starts absent.\n")
        .append("Longest linearizable prefix found: ")
        .append(best.length)
        .append(" operations");
    int shownFrom = Math.max(0, best.length - 8);
    s.append(shownFrom > 0 ? "; its last 8, in order:\n" : ", in order:\n");
    for (int d = 0; d < best.length; d++) {
      int op = best[d];
      placed[op] = true;
      state = step(state, op);
      if (kind[op] == WRITE || kind[op] == CAS_SWAP) {
        value = ops[op].writtenValue();
      }
      if (d >= shownFrom) {
        s.append("  ").append(OperationFormat.describe(ops[op], originNanos));
        s.append("  => ").append(Bytes.show(value)).append('\n');
      }
    }
    s.append("Register after the prefix: ").append(Bytes.show(value)).append('\n');

    int blocking = NIL;
    for (int i = 0; i < ops.length; i++) {
      if (!placed[i]
          && known[i]
          && (blocking == NIL || ops[i].completeNanos() < ops[blocking].completeNanos())) {
        blocking = i;
      }
    }
    if (blocking == NIL) {
      return s.toString();
    }
    s.append("Could not place next (each had to be considered before ")
        .append(OperationFormat.describe(ops[blocking], originNanos))
        .append(" returned):\n");
    for (int i = 0; i < ops.length; i++) {
      if (!placed[i] && ops[i].invokeNanos() <= ops[blocking].completeNanos()) {
        s.append("  ").append(OperationFormat.describe(ops[i], originNanos));
        s.append("  -- ").append(whyNot(i, state, value)).append('\n');
      }
    }
    return s.toString();
  }

  private String whyNot(int op, int state, Bytes value) {
    if (step(state, op) != REJECT) {
      return "fits here, but every order of the remaining operations failed later";
    }
    return switch (kind[op]) {
      case READ ->
          "read " + Bytes.show(ops[op].observed()) + " but the register held " + Bytes.show(value);
      case CAS_SWAP ->
          "swap needs "
              + Bytes.show(ops[op].command().expected())
              + " but the register held "
              + Bytes.show(value);
      default ->
          "reported no swap but the register held the expected "
              + Bytes.show(ops[op].command().expected());
    };
  }

  /** A cache key: register state plus the linearized set as "all below frontier except holes". */
  private static final class Configuration {
    private final int state;
    private final int frontier;
    private final int[] holes;
    private final int hash;

    Configuration(int state, int frontier, int[] holes) {
      this.state = state;
      this.frontier = frontier;
      this.holes = holes;
      this.hash = 31 * (31 * state + frontier) + Arrays.hashCode(holes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Configuration c
          && c.hash == hash
          && c.state == state
          && c.frontier == frontier
          && Arrays.equals(c.holes, holes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
