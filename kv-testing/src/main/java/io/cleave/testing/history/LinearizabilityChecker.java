package io.cleave.testing.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Checks that a recorded history is linearizable with respect to a per-key register (read, write,
 * delete, compare-and-set), the way Knossos and Porcupine check etcd.
 *
 * <p>Linearizability is compositional, so the history is split by key and each key is searched on
 * its own (in parallel), which keeps the search tractable. Keys start absent. {@code FAIL}
 * operations are ignored; {@code UNKNOWN} ones may take effect at any point after their invocation
 * or never. Each key has a time and memory budget; running out gives {@link Verdict#UNKNOWN}, never
 * a pass.
 *
 * <p>Cost: accepting is fast (5,000 ops per key, 6 clients, 3–10 % UNKNOWN: well under a second,
 * measured). Rejecting needs the search to exhaust every order before the violation, which grows
 * with the number of UNKNOWN ops still pending: up to ~2,000 ops per key with 3 % UNKNOWN it takes
 * under a second, but at 5,000 ops it can run out of budget and say {@code UNKNOWN}. Keep per-key
 * histories to a few thousand ops (rotate keys), and run {@link HistoryInvariants} beside it.
 *
 * <pre>{@code
 * CheckResult result = LinearizabilityChecker.builder()
 *     .perKeyBudget(Duration.ofSeconds(30))
 *     .build()
 *     .check(history.operations());
 * assertThat(result.verdict()).as(result.report()).isEqualTo(Verdict.LINEARIZABLE);
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class LinearizabilityChecker {
  private final Duration perKeyBudget;
  private final long maxConfigurationsPerKey;
  private final int parallelism;

  private LinearizabilityChecker(Builder b) {
    this.perKeyBudget = b.perKeyBudget;
    this.maxConfigurationsPerKey = b.maxConfigurationsPerKey;
    this.parallelism = b.parallelism;
  }

  /** A checker with the defaults of {@link Builder}. */
  public static LinearizabilityChecker create() {
    return builder().build();
  }

  /** Options for a checker. */
  public static Builder builder() {
    return new Builder();
  }

  /** Checks {@code history}, which may mix keys and need not be sorted. */
  public CheckResult check(Collection<Operation> history) {
    Map<Bytes, List<Operation>> byKey = new TreeMap<>();
    for (Operation op : history) {
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    long budgetNanos = perKeyBudget.toNanos();
    List<Callable<CheckResult.KeyResult>> tasks = new ArrayList<>();
    byKey.forEach(
        (key, ops) ->
            tasks.add(() -> new KeySearch(key, ops).run(budgetNanos, maxConfigurationsPerKey)));
    if (tasks.size() <= 1 || parallelism == 1) {
      List<CheckResult.KeyResult> results = new ArrayList<>();
      for (Callable<CheckResult.KeyResult> task : tasks) {
        results.add(call(task));
      }
      return CheckResult.of(results);
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, tasks.size()));
    try {
      List<CheckResult.KeyResult> results = new ArrayList<>();
      for (Future<CheckResult.KeyResult> f : pool.invokeAll(tasks)) {
        results.add(f.get());
      }
      return CheckResult.of(results);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("checker failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static CheckResult.KeyResult call(Callable<CheckResult.KeyResult> task) {
    try {
      return task.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Builder for {@link LinearizabilityChecker}. */
  public static final class Builder {
    private Duration perKeyBudget = Duration.ofSeconds(10);
    private long maxConfigurationsPerKey = 5_000_000;
    private int parallelism = Runtime.getRuntime().availableProcessors();

    private Builder() {}

    /** Wall time one key may take before it is reported {@code UNKNOWN}; default 10 s. */
    public Builder perKeyBudget(Duration budget) {
      this.perKeyBudget = Objects.requireNonNull(budget);
      return this;
    }

    /**
     * Cached search configurations one key may hold before it is reported {@code UNKNOWN}; default
     * 5,000,000 (a few hundred MiB), so a pathological key cannot exhaust the test JVM's heap.
     */
    public Builder maxConfigurationsPerKey(long max) {
      this.maxConfigurationsPerKey = max;
      return this;
    }

    /** Keys checked at the same time; default the number of processors. */
    public Builder parallelism(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("parallelism must be positive");
      }
      this.parallelism = threads;
      return this;
    }

    /** The checker. */
    public LinearizabilityChecker build() {
      return new LinearizabilityChecker(this);
    }
  }
}
