package io.cleave.testing.history;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds hand-written histories on a clock that ticks once per event, so the order of the calls in
 * a test is the real-time order of the history: a call made after {@code ok()} starts after it.
 */
final class Script {
  private final AtomicLong clock = new AtomicLong();
  final History history = new History(clock::incrementAndGet);

  History.Pending call(int client, Command command) {
    return history.invoke(client, command);
  }

  void write(int client, String key, String value) {
    call(client, Command.write(key, value)).ok();
  }

  void delete(int client, String key) {
    call(client, Command.delete(key)).ok();
  }

  /** A read that saw {@code seen}; {@code null} means absent. */
  Operation read(int client, String key, String seen) {
    History.Pending p = call(client, Command.read(key));
    p.ok(seen == null ? null : Bytes.utf8(seen));
    return history.operations().get((int) p.id());
  }

  void cas(int client, String key, String expected, String newValue, boolean swapped) {
    call(client, Command.cas(key, expected, newValue)).ok(swapped);
  }

  List<Operation> ops() {
    return history.operations();
  }

  CheckResult check() {
    return LinearizabilityChecker.create().check(ops());
  }
}
