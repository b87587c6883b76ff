package io.cleave.testing.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A seeded, obviously linearizable register store driven by concurrent simulated clients: every
 * command is applied atomically at one instant strictly between its invocation and completion, so
 * every history it records must be accepted. Outcomes are sometimes FAIL (never applied) or UNKNOWN
 * (applied before the give-up, applied long after it, or never).
 */
final class RegisterSimulator {
  private final long seed;
  private final int clients;
  private final int operations;
  private final int keys;
  private final double unknownRate;
  private final double failRate;

  private RegisterSimulator(Builder b) {
    seed = b.seed;
    clients = b.clients;
    operations = b.operations;
    keys = b.keys;
    unknownRate = b.unknownRate;
    failRate = b.failRate;
  }

  static Builder builder() {
    return new Builder();
  }

  /** The recorded history and the register contents at the end. */
  record Run(List<Operation> history, Map<Bytes, Bytes> finalValues) {}

  private enum Phase {
    IDLE,
    INVOKED,
    APPLIED
  }

  private static final class Client {
    Phase phase = Phase.IDLE;
    Command command;
    History.Pending pending;
    Bytes observed;
    boolean swapped;
  }

  Run run() {
    Random rnd = new Random(seed);
    AtomicLong now = new AtomicLong();
    History history = new History(now::get);
    Map<Bytes, Bytes> register = new HashMap<>();
    List<Bytes> written = new ArrayList<>();
    List<Command> limbo = new ArrayList<>();
    Client[] cs = new Client[clients];
    for (int i = 0; i < clients; i++) {
      cs[i] = new Client();
    }
    int invoked = 0;
    int busy = 0;
    while (invoked < operations || busy > 0) {
      now.addAndGet(1 + rnd.nextInt(3));
      if (!limbo.isEmpty() && rnd.nextInt(20) == 0) {
        Command late = limbo.remove(rnd.nextInt(limbo.size()));
        if (rnd.nextBoolean()) {
          apply(register, late, new Client());
        }
      }
      int id = rnd.nextInt(clients);
      Client c = cs[id];
      switch (c.phase) {
        case IDLE -> {
          if (invoked < operations) {
            c.command = randomCommand(rnd, id, invoked, register, written);
            c.pending = history.invoke(id, c.command);
            c.phase = Phase.INVOKED;
            invoked++;
            busy++;
          }
        }
        case INVOKED -> {
          double r = rnd.nextDouble();
          if (r < failRate) {
            c.pending.fail();
            c.phase = Phase.IDLE;
            busy--;
          } else if (r < failRate + unknownRate) {
            c.pending.unknown();
            if (rnd.nextBoolean()) {
              limbo.add(c.command); // may still be applied, long after the client gave up
            }
            c.phase = Phase.IDLE;
            busy--;
          } else {
            apply(register, c.command, c);
            c.phase = Phase.APPLIED;
          }
        }
        case APPLIED -> {
          if (rnd.nextDouble() < unknownRate) {
            c.pending.unknown();
          } else if (c.command.type() == Command.Type.READ) {
            c.pending.ok(c.observed);
          } else if (c.command.type() == Command.Type.CAS) {
            c.pending.ok(c.swapped);
          } else {
            c.pending.ok();
          }
          c.phase = Phase.IDLE;
          busy--;
        }
      }
    }
    return new Run(history.operations(), register);
  }

  private static void apply(Map<Bytes, Bytes> register, Command cmd, Client c) {
    Bytes current = register.get(cmd.key());
    switch (cmd.type()) {
      case READ -> c.observed = current;
      case WRITE -> register.put(cmd.key(), cmd.value());
      case DELETE -> register.remove(cmd.key());
      case CAS -> {
        c.swapped = java.util.Objects.equals(current, cmd.expected());
        if (c.swapped) {
          if (cmd.value() == null) {
            register.remove(cmd.key());
          } else {
            register.put(cmd.key(), cmd.value());
          }
        }
      }
    }
  }

  private Command randomCommand(
      Random rnd, int client, int seq, Map<Bytes, Bytes> register, List<Bytes> written) {
    Bytes key = Bytes.utf8("k" + rnd.nextInt(keys));
    Bytes value = Bytes.utf8("c" + client + "-" + seq); // unique, so lost writes are attributable
    int dice = rnd.nextInt(100);
    if (dice < 40) {
      return Command.read(key);
    }
    if (dice < 65) {
      written.add(value);
      return Command.write(key, value);
    }
    if (dice < 90) {
      int pick = rnd.nextInt(10);
      Bytes expected =
          pick < 5
              ? register.get(key)
              : pick < 8 && !written.isEmpty()
                  ? written.get(written.size() - 1 - rnd.nextInt(Math.min(5, written.size())))
                  : null;
      written.add(value);
      return Command.cas(key, expected, value);
    }
    return Command.delete(key);
  }

  static final class Builder {
    private long seed = 1;
    private int clients = 4;
    private int operations = 200;
    private int keys = 1;
    private double unknownRate = 0.05;
    private double failRate = 0.02;

    Builder seed(long v) {
      seed = v;
      return this;
    }

    Builder clients(int v) {
      clients = v;
      return this;
    }

    Builder operations(int v) {
      operations = v;
      return this;
    }

    Builder keys(int v) {
      keys = v;
      return this;
    }

    Builder unknownRate(double v) {
      unknownRate = v;
      return this;
    }

    Builder failRate(double v) {
      failRate = v;
      return this;
    }

    RegisterSimulator build() {
      return new RegisterSimulator(this);
    }
  }
}
