package io.cleave.testing.history;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Cheap checks that run beside the linearizability search and catch the most common real bugs (lost
 * acknowledged writes, values from nowhere) in linear time, with a one-line reason.
 *
 * <p>They never need a budget, so they still give an answer when the search returns {@code
 * UNKNOWN}. They are attributable only when write values are unique per key ({@code client:seq}).
 */
public final class HistoryInvariants {

  /** The kind of broken invariant. */
  public enum Kind {
    /** A read (or the final read) returned a value no possibly-applied write wrote by then. */
    PHANTOM_READ,
    /** An acknowledged write is neither the final value nor can any other write follow it. */
    LOST_WRITE
  }

  /**
   * One broken invariant.
   *
   * @param kind which invariant
   * @param key the key concerned
   * @param description the offending operation and why, for a human
   */
  public record Violation(Kind kind, Bytes key, String description) {}

  /**
   * All broken invariants of a history.
   *
   * @param violations in key order; empty when all hold
   */
  public record Report(List<Violation> violations) {
    /** Whether every invariant holds. */
    public boolean ok() {
      return violations.isEmpty();
    }

    /** One line per violation, or "all invariants hold". */
    public String report() {
      if (violations.isEmpty()) {
        return "all invariants hold";
      }
      StringBuilder s = new StringBuilder();
      violations.forEach(
          v ->
              s.append(v.kind())
                  .append(" on ")
                  .append(v.key())
                  .append(": ")
                  .append(v.description())
                  .append('\n'));
      return s.toString();
    }
  }

  private HistoryInvariants() {}

  /**
   * Checks {@code history} against the final quiescent reads.
   *
   * <p>Phantom: every value an OK read returned (final reads included) must be the value of an
   * acknowledged or {@code UNKNOWN} write, delete or CAS to that key invoked before the read
   * completed; a {@code FAIL} write does not count, so a value read from one also exposes a write
   * wrongly reported as failed.
   *
   * <p>Lost write: for each key with a final read, every acknowledged write (or swapped CAS, or
   * delete) must either have written the final value, or be overwritable: some other acknowledged
   * or {@code UNKNOWN} mutation of the key must not have completed before it was invoked. Requiring
   * the overwriting write to start after the acknowledged one ended would be stricter than
   * linearizability and flag two concurrent writes where the other one won.
   *
   * @param history all recorded operations (any keys, any order); final reads may be included
   * @param finalReads one OK {@code READ} per key, taken after the cluster healed and every client
   *     stopped; keys without one get only the phantom check
   */
  public static Report check(Collection<Operation> history, Collection<Operation> finalReads) {
    Map<Bytes, List<Operation>> byKey = new TreeMap<>();
    history.forEach(op -> byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op));
    Map<Bytes, List<Operation>> finalByKey = new TreeMap<>();
    for (Operation read : finalReads) {
      if (read.type() != Command.Type.READ || read.outcome() != Operation.Outcome.OK) {
        throw new IllegalArgumentException("a final read must be an OK READ: " + read);
      }
      finalByKey.computeIfAbsent(read.key(), k -> new ArrayList<>()).add(read);
      byKey.computeIfAbsent(read.key(), k -> new ArrayList<>());
    }

    List<Violation> violations = new ArrayList<>();
    byKey.forEach(
        (key, ops) -> {
          List<Operation> finals = finalByKey.getOrDefault(key, List.of());
          long origin = ops.stream().mapToLong(Operation::invokeNanos).min().orElse(0);
          List<Operation> reads = new ArrayList<>(ops);
          finals.stream().filter(f -> !ops.contains(f)).forEach(reads::add);
          phantoms(key, ops, reads, origin, violations);
          for (Operation f : finals) {
            lostWrites(key, ops, f, origin, violations);
          }
        });
    return new Report(List.copyOf(violations));
  }

  private static void phantoms(
      Bytes key,
      List<Operation> ops,
      List<Operation> reads,
      long origin,
      List<Violation> violations) {
    // Earliest invocation of a possibly-applied write per value: a read may return the value only
    // if that write started before the read ended.
    Map<Bytes, Long> firstWrite = new TreeMap<>();
    for (Operation op : ops) {
      if (op.possibleMutation() && op.writtenValue() != null) {
        firstWrite.merge(op.writtenValue(), op.invokeNanos(), Math::min);
      }
    }
    for (Operation read : reads) {
      if (read.type() != Command.Type.READ
          || read.outcome() != Operation.Outcome.OK
          || read.observed() == null) {
        continue;
      }
      Long written = firstWrite.get(read.observed());
      if (written == null || written > read.completeNanos()) {
        violations.add(
            new Violation(
                Kind.PHANTOM_READ,
                key,
                OperationFormat.describe(read, origin)
                    + (written == null
                        ? " -- no acknowledged or unknown write of that value"
                        : " -- its only writes were invoked after the read completed")));
      }
    }
  }

  private static void lostWrites(
      Bytes key,
      List<Operation> ops,
      Operation finalRead,
      long origin,
      List<Violation> violations) {
    // The two latest completions among possible mutations: an acknowledged write can be overwritten
    // if any *other* mutation completed after it was invoked.
    Operation latest = null;
    Operation second = null;
    for (Operation op : ops) {
      if (!op.possibleMutation()) {
        continue;
      }
      if (latest == null || op.completeNanos() > latest.completeNanos()) {
        second = latest;
        latest = op;
      } else if (second == null || op.completeNanos() > second.completeNanos()) {
        second = op;
      }
    }
    for (Operation w : ops) {
      if (!w.acknowledgedMutation() || Objects.equals(w.writtenValue(), finalRead.observed())) {
        continue;
      }
      Operation other = w == latest ? second : latest;
      if (other == null || other.completeNanos() <= w.invokeNanos()) {
        violations.add(
            new Violation(
                Kind.LOST_WRITE,
                key,
                OperationFormat.describe(w, origin)
                    + " -- final read saw "
                    + Bytes.show(finalRead.observed())
                    + " and no other write could have followed it"));
      }
    }
  }
}
