package io.cleave.testing.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  // Symmetry reduction: UNKNOWN ops with the same effect (e.g. writes of values nobody reads, or
  // deletes) are interchangeable, and the earlier-invoked one can go wherever a later one can. So
  // each may only be placed after its previous twin, which turns "which subset of them happened"
  // (exponential) into "how many of them happened" (linear).
  private final int[] previousTwin;
  private final boolean[] placed;
  private final int[] unknownOrdinal;
  private final long[] unknownPlaced;

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
    unknownOrdinal = new int[n];
    int unknowns = 0;
    for (int i = 0; i < n; i++) {
      unknownOrdinal[i] = known[i] ? NIL : unknowns++;
    }
    unknownPlaced = new long[(unknowns + 63) / 64];
    previousTwin = new int[n];
    placed = new boolean[n];
    Map<List<Integer>, Integer> lastTwin = new HashMap<>();
    for (int i = 0; i < n; i++) {
      previousTwin[i] =
          known[i] ? NIL : lastTwin.getOrDefault(List.of((int) kind[i], arg[i], expected[i]), NIL);
      if (!known[i]) {
        lastTwin.put(List.of((int) kind[i], arg[i], expected[i]), i);
      }
    }

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

  /**
   * The state after applying op {@code i} to {@code state}, or {@link #REJECT}, which includes an
   * UNKNOWN op whose earlier twin has not been placed yet.
   */
  private int step(int state, int i) {
    if (previousTwin[i] != NIL && !placed[previousTwin[i]]) {
      return REJECT;
    }
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
   * <p>Lowe's cache here holds the configurations proven dead ends, and a configuration is pruned
   * if a dead end with the same state and the same acknowledged ops placed had a subset of its
   * UNKNOWN ops placed: an unknown op never has to happen, so having placed more of them cannot
   * help. Acknowledged candidates are tried before unknown ones so that the smaller sets are the
   * ones that get recorded first. Without this, every unknown op still pending doubles the work.
   *
   * @param budgetNanos wall time allowed before giving up with {@code UNKNOWN}
   * @param maxConfigurations dead ends cached before giving up with {@code UNKNOWN}, so that a hard
   *     key ends the check instead of the JVM
   */
  CheckResult.KeyResult run(long budgetNanos, long maxConfigurations) {
    long start = System.nanoTime();
    int n = ops.length;
    DeadEnds deadEnds = new DeadEnds();
    int[] stackOp = new int[n];
    int[] stackState = new int[n];
    int[] stackFrontier = new int[n];
    int depth = 0;
    int state = ABSENT;
    // Every acknowledged op below knownFrontier is placed except those whose call is still listed;
    // that makes the placed set cheap to key the cache on (see knownPart()).
    int knownFrontier = 0;
    int placedKnown = 0;
    int[] best = new int[0];

    int entry = next[head];
    boolean unknownPhase = false;
    long steps = 0;
    while (placedKnown < knownCount) {
      if ((++steps & 1023) == 0
          && (System.nanoTime() - start > budgetNanos || deadEnds.size > maxConfigurations)) {
        best = deeper(best, stackOp, depth);
        return result(Verdict.UNKNOWN, deadEnds.size, start, undecided(best, budgetNanos));
      }
      if (entry == NIL || !entryIsCall[entry]) {
        if (!unknownPhase) {
          unknownPhase = true;
          entry = next[head];
          continue;
        }
        // An acknowledged op must have taken effect by now and none of the tried orders placed it.
        // Only a dead end can end the longest prefix, so it is saved here and not on every step.
        best = deeper(best, stackOp, depth);
        if (depth == 0) {
          return result(Verdict.NOT_LINEARIZABLE, deadEnds.size, start, violation(best));
        }
        deadEnds.add(knownPart(NIL, state, knownFrontier), unknownPlaced);
        depth--;
        int op = stackOp[depth];
        state = stackState[depth];
        knownFrontier = stackFrontier[depth];
        placedKnown -= known[op] ? 1 : 0;
        unlift(op);
        unknownPhase = !known[op];
        entry = next[callEntry[op]];
        continue;
      }
      int op = entryOp[entry];
      int after = known[op] == unknownPhase ? REJECT : step(state, op);
      int frontierAfter = known[op] ? Math.max(knownFrontier, op + 1) : knownFrontier;
      if (after != REJECT && !deadEnd(op, after, frontierAfter, deadEnds)) {
        stackOp[depth] = op;
        stackState[depth] = state;
        stackFrontier[depth] = knownFrontier;
        depth++;
        state = after;
        knownFrontier = frontierAfter;
        placedKnown += known[op] ? 1 : 0;
        lift(op);
        unknownPhase = false;
        entry = next[head];
      } else {
        entry = next[entry];
      }
    }
    return result(Verdict.LINEARIZABLE, deadEnds.size, start, "");
  }

  private static int[] deeper(int[] best, int[] stack, int depth) {
    return depth > best.length ? Arrays.copyOf(stack, depth) : best;
  }

  /** Whether placing {@code op} (giving {@code state}) leads into a known dead end. */
  private boolean deadEnd(int op, int state, int knownFrontier, DeadEnds deadEnds) {
    if (known[op]) {
      return deadEnds.covers(knownPart(op, state, knownFrontier), unknownPlaced);
    }
    int u = unknownOrdinal[op];
    unknownPlaced[u >>> 6] |= 1L << u;
    boolean dead = deadEnds.covers(knownPart(NIL, state, knownFrontier), unknownPlaced);
    unknownPlaced[u >>> 6] &= ~(1L << u);
    return dead;
  }

  /**
   * The state and the set of placed acknowledged ops (with {@code extra} counted as placed), as
   * "all below frontier except holes".
   */
  private Configuration knownPart(int extra, int state, int knownFrontier) {
    // Unplaced acknowledged ops below the frontier are exactly their calls still listed before the
    // first acknowledged call at or past it. The walk also passes pending unknown calls and, by the
    // WGL invariant, only a few returns, so it stays short.
    int[] holes = new int[8];
    int count = 0;
    for (int e = next[head]; e != NIL; e = next[e]) {
      int o = entryOp[e];
      if (!entryIsCall[e] || !known[o]) {
        continue;
      }
      if (o >= knownFrontier) {
        break;
      }
      if (o != extra) {
        if (count == holes.length) {
          holes = Arrays.copyOf(holes, count * 2);
        }
        holes[count++] = o;
      }
    }
    return new Configuration(state, knownFrontier, Arrays.copyOf(holes, count));
  }

  private void lift(int op) {
    placed[op] = true;
    if (!known[op]) {
      unknownPlaced[unknownOrdinal[op] >>> 6] |= 1L << unknownOrdinal[op];
    }
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
    placed[op] = false;
    if (!known[op]) {
      unknownPlaced[unknownOrdinal[op] >>> 6] &= ~(1L << unknownOrdinal[op]);
    }
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

  private String undecided(int[] best, long budgetNanos) {
    return "Search gave up (budget "
        + Duration.ofNanos(budgetNanos).toMillis()
        + " ms or the configuration limit); this is NOT a pass. Deepest linearizable prefix: "
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
    // Replays the prefix on the search's own "placed" marks (all clear once the search is over),
    // so that step() judges the candidates exactly as the search did.
    Arrays.fill(placed, false);
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
      state = step(state, op);
      placed[op] = true;
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

  /**
   * Dead ends, grouped by state and placed acknowledged ops; per group the sets of placed UNKNOWN
   * ops (bitsets over their ordinals), none a subset of another.
   */
  private static final class DeadEnds {
    private final Map<Configuration, List<long[]>> groups = new HashMap<>();
    private long size;

    /** Whether a dead end dominates the configuration: same group, subset of unknown ops. */
    boolean covers(Configuration group, long[] unknownPlaced) {
      List<long[]> sets = groups.get(group);
      if (sets != null) {
        for (long[] set : sets) {
          if (subset(set, unknownPlaced)) {
            return true;
          }
        }
      }
      return false;
    }

    void add(Configuration group, long[] unknownPlaced) {
      List<long[]> sets = groups.computeIfAbsent(group, g -> new ArrayList<>(1));
      // Supersets of the new dead end are now redundant; dropping them keeps the scans short.
      int before = sets.size();
      sets.removeIf(set -> subset(unknownPlaced, set));
      sets.add(unknownPlaced.clone());
      size += 1 - (before - sets.size() + 0L);
    }

    private static boolean subset(long[] a, long[] b) {
      for (int w = 0; w < a.length; w++) {
        if ((a[w] & ~b[w]) != 0) {
          return false;
        }
      }
      return true;
    }
  }

  /** A cache key: register state plus the placed set as "all below frontier except holes". */
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
