package io.cleave.testing.history;

/**
 * Renders operations for humans; shared by the checker and the invariants so that one failure reads
 * the same in both reports.
 */
final class OperationFormat {
  private OperationFormat() {}

  /**
   * One line such as {@code #12 c3 CAS "k" "a"->"b" OK swapped [+1.203ms, +1.950ms]}, times
   * relative to {@code originNanos} so that numbers stay short.
   */
  static String describe(Operation op, long originNanos) {
    Command c = op.command();
    StringBuilder s = new StringBuilder();
    s.append('#').append(op.id()).append(" c").append(op.clientId()).append(' ');
    s.append(c.type()).append(' ').append(c.key());
    switch (c.type()) {
      case WRITE -> s.append(" := ").append(c.value());
      case CAS ->
          s.append(' ').append(Bytes.show(c.expected())).append("->").append(Bytes.show(c.value()));
      default -> {}
    }
    s.append(' ').append(op.outcome());
    if (op.outcome() == Operation.Outcome.OK) {
      switch (c.type()) {
        case READ -> s.append(" saw ").append(Bytes.show(op.observed()));
        case CAS -> s.append(op.casSucceeded() ? " swapped" : " not swapped");
        default -> {}
      }
    }
    s.append(" [").append(time(op.invokeNanos(), originNanos)).append(", ");
    s.append(op.completeNanos() == Long.MAX_VALUE ? "∞" : time(op.completeNanos(), originNanos));
    return s.append(']').toString();
  }

  private static String time(long nanos, long originNanos) {
    long rel = nanos - originNanos;
    if (Math.abs(rel) < 10_000) {
      return "+" + rel + "ns";
    }
    return String.format("+%.3fms", rel / 1e6);
  }
}
