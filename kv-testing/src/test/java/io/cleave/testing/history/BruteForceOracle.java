package io.cleave.testing.history;

import java.util.List;
import java.util.Objects;

/**
 * An exponential, obviously correct reference for tiny single-key histories: tries every order of
 * every subset of operations that contains all acknowledged ones, honouring real time. Written
 * independently of {@link KeySearch} (no entry list, no cache, no value interning) so that the two
 * can check each other.
 */
final class BruteForceOracle {
  private BruteForceOracle() {}

  static boolean linearizable(List<Operation> history) {
    List<Operation> ops =
        history.stream()
            .filter(o -> o.outcome() != Operation.Outcome.FAIL)
            .filter(o -> o.outcome() == Operation.Outcome.OK || o.command().mutates())
            .toList();
    return search(ops, new boolean[ops.size()], null);
  }

  private static boolean search(List<Operation> ops, boolean[] placed, Bytes state) {
    boolean allKnownPlaced = true;
    for (int i = 0; i < ops.size(); i++) {
      allKnownPlaced &= placed[i] || ops.get(i).outcome() != Operation.Outcome.OK;
    }
    if (allKnownPlaced) {
      return true;
    }
    for (int i = 0; i < ops.size(); i++) {
      if (placed[i] || !mayGoNext(ops, placed, i)) {
        continue;
      }
      Operation op = ops.get(i);
      Command c = op.command();
      boolean legal;
      Bytes after = state;
      switch (c.type()) {
        case READ -> legal = Objects.equals(op.observed(), state);
        case WRITE, DELETE -> {
          legal = true;
          after = c.value();
        }
        default -> {
          boolean matches = Objects.equals(state, c.expected());
          if (op.outcome() == Operation.Outcome.OK && !op.casSucceeded()) {
            legal = !matches;
          } else {
            legal = matches;
            after = c.value();
          }
        }
      }
      if (legal) {
        placed[i] = true;
        boolean ok = search(ops, placed, after);
        placed[i] = false;
        if (ok) {
          return true;
        }
      }
    }
    return false;
  }

  /** Op i may be next unless an unplaced operation finished before i started. */
  private static boolean mayGoNext(List<Operation> ops, boolean[] placed, int i) {
    for (int j = 0; j < ops.size(); j++) {
      if (j != i && !placed[j] && ops.get(j).completeNanos() < ops.get(i).invokeNanos()) {
        return false;
      }
    }
    return true;
  }
}
