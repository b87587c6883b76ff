package io.cleave.placement.sim;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeySample;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import io.cleave.placement.ClusterView;
import io.cleave.placement.PlacementOperation;
import io.cleave.placement.PlacementOperation.HotKeyReport;
import io.cleave.placement.PlacementOperation.Merge;
import io.cleave.placement.PlacementOperation.Split;
import io.cleave.placement.PlacementSettings;
import io.cleave.placement.SplitMergeDecider;
import io.cleave.placement.internal.EffectivePolicy;
import io.cleave.placement.internal.RoutingSpace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A simulated cluster that runs {@link SplitMergeDecider} round after round and carries out what it
 * decides, the way the meta leader's controller would, to check the policy on clusters far larger
 * than a test machine could host: thousands of nodes, a hundred thousand shards.
 *
 * <p>Each round: finish the operations whose (randomly drawn, seeded) duration is over, recompute
 * the stats of changed shards from the keyspaces' workload models, build the {@link ClusterView},
 * decide, start the new operations. Invariants are checked as it goes and collected as violations
 * rather than thrown, so one run reports everything it saw.
 *
 * <p>Stats come from the model, not from halving the parent's stats: a split's children get what
 * their ranges really hold, so a split point chosen from samples is judged against the truth. Key
 * samples are attached only to shards over a limit, the only ones whose samples the decider reads,
 * which keeps a round over 100,000 shards cheap.
 */
final class PlacementSimulator {
  private static final int HOT_SAMPLES = 16;
  private static final int UNIFORM_SAMPLES = 16;

  /**
   * One simulation.
   *
   * @param roundMillis simulated time between rounds (the controller's period)
   * @param maxRounds stop here even if operations still run
   * @param quietRounds rounds without any operation that count as converged
   * @param noise per-shard, per-round random factor 1 ± noise on keys and load (0: exact)
   * @param flapWindowMillis a range merged back within this long of its split (or split within this
   *     long of its merge) is a flap
   * @param stopWhenQuiet end as soon as the workload is final and the cluster has been quiet
   */
  record Config(
      String name,
      List<SimKeyspace> keyspaces,
      int nodes,
      PlacementSettings settings,
      long roundMillis,
      int maxRounds,
      int quietRounds,
      double noise,
      long flapWindowMillis,
      boolean stopWhenQuiet,
      long seed) {}

  /** What a run did and what it saw. */
  record Result(
      String name,
      int rounds,
      int splits,
      int merges,
      int hotKeyReports,
      int finalShards,
      Map<Integer, Integer> shardsPerKeyspace,
      int maxShardsPerNode,
      int maxInFlight,
      int flaps,
      int staleOperations,
      int overLimitUnreported,
      boolean converged,
      double decideMillisPerRound,
      double simulatorMillisPerRound,
      List<String> violations) {
    String summary() {
      return String.format(
          "%-10s rounds=%d splits=%d merges=%d hotKeys=%d shards=%d perKeyspace=%s"
              + " maxPerNode=%d maxInFlight=%d flaps=%d converged=%s"
              + " decide=%.1fms/round sim=%.1fms/round",
          name,
          rounds,
          splits,
          merges,
          hotKeyReports,
          finalShards,
          shardsPerKeyspace,
          maxShardsPerNode,
          maxInFlight,
          flaps,
          converged,
          decideMillisPerRound,
          simulatorMillisPerRound);
    }
  }

  private record RangeKey(int keyspace, ByteString start, ByteString end) {}

  private record Running(PlacementOperation op, long finishAt) {}

  /** A shard as the simulator tracks it; positions and hot-key indexes depend only on its range. */
  private static final class SimShard {
    final ShardDescriptor descriptor;
    final SimKeyspace keyspace;
    final double startPos;
    final double endPos;
    final int hotFrom;
    final int hotTo;
    int node;

    SimShard(SimKeyspace keyspace, ShardDescriptor descriptor) {
      this.keyspace = keyspace;
      this.descriptor = descriptor;
      KeyModel m = keyspace.model;
      this.startPos = descriptor.getStart().isEmpty() ? 0 : m.position(descriptor.getStart());
      this.endPos =
          descriptor.getEnd().isEmpty() ? m.endPosition() : m.position(descriptor.getEnd());
      this.hotFrom = keyspace.hotIndex(startPos);
      this.hotTo = keyspace.hotIndex(endPos);
    }

    long id() {
      return descriptor.getShardId();
    }
  }

  private final Config config;
  private final Random random;
  private final Map<Integer, TreeMap<ByteString, SimShard>> byStart = new TreeMap<>();
  private final Map<Long, SimShard> byId = new HashMap<>();
  private final Map<Long, ShardStats> stats = new HashMap<>();
  private final Map<Long, Long> lastChange = new HashMap<>();
  private final Map<Long, ByteString> reportedHotKeys = new HashMap<>();
  private final List<Running> running = new ArrayList<>();
  private final Set<SimShard> dirty = new HashSet<>();
  private final Map<RangeKey, Long> splitAt = new HashMap<>();
  private final Map<RangeKey, Long> mergedAt = new HashMap<>();
  private final Map<Integer, EffectivePolicy> policies = new HashMap<>();
  private final Map<Integer, Integer> initialCounts = new HashMap<>();
  private final int[] shardsPerNode;
  private final List<String> violations = new ArrayList<>();
  private long nextShardId = 1;
  private int nextNode;
  private int splits;
  private int merges;
  private int hotKeyReports;
  private int flaps;
  private int stale;
  private int maxInFlight;
  private long statsNanos;
  private long viewNanos;
  private long decideNanos;

  PlacementSimulator(Config config) {
    this.config = config;
    this.random = new Random(config.seed());
    this.shardsPerNode = new int[config.nodes()];
    for (SimKeyspace ks : config.keyspaces()) {
      int id = ks.descriptor.getId();
      policies.put(id, EffectivePolicy.of(ks.descriptor.getPolicy()));
      byStart.put(id, new TreeMap<>(RoutingSpace::compare));
      List<ByteString> cuts = initialCuts(ks);
      for (int i = 0; i <= cuts.size(); i++) {
        ByteString start = i == 0 ? ByteString.EMPTY : cuts.get(i - 1);
        ByteString end = i == cuts.size() ? ByteString.EMPTY : cuts.get(i);
        add(new SimShard(ks, descriptor(nextShardId++, id, start, end, 1)));
      }
      initialCounts.put(id, cuts.size() + 1);
    }
  }

  /** Runs the simulation to convergence or {@code maxRounds}. */
  Result run() {
    SimKeyspace.Level[] previous = new SimKeyspace.Level[config.keyspaces().size()];
    int lastScheduleChange = 0;
    int lastActivity = 0;
    int round = 0;
    for (; round < config.maxRounds(); round++) {
      long now = round * config.roundMillis();
      finishOperations(now);
      for (int k = 0; k < previous.length; k++) {
        SimKeyspace ks = config.keyspaces().get(k);
        SimKeyspace.Level level = ks.schedule.apply(round);
        if (!level.equals(previous[k]) || config.noise() > 0) {
          if (!level.equals(previous[k])) {
            lastScheduleChange = round;
          }
          previous[k] = level;
          dirty.addAll(byStart.get(ks.descriptor.getId()).values());
        }
      }
      long t0 = System.nanoTime();
      for (SimShard s : dirty) {
        stats.put(s.id(), computeStats(s, previous[config.keyspaces().indexOf(s.keyspace)]));
      }
      dirty.clear();
      pruneCooldowns(now);
      long t1 = System.nanoTime();
      ClusterView view = view();
      long t2 = System.nanoTime();
      List<PlacementOperation> ops = SplitMergeDecider.decide(view, config.settings(), now);
      long t3 = System.nanoTime();
      statsNanos += t1 - t0;
      viewNanos += t2 - t1;
      decideNanos += t3 - t2;
      start(ops, now);
      check(round);
      if (!ops.isEmpty() || !running.isEmpty()) {
        lastActivity = round;
      }
      if (config.stopWhenQuiet()
          && round >= lastScheduleChange + config.quietRounds()
          && round - lastActivity >= config.quietRounds()) {
        round++;
        break;
      }
    }
    boolean converged = running.isEmpty() && round - 1 - lastActivity >= config.quietRounds();
    return result(round, converged, previous);
  }

  private ClusterView view() {
    List<ShardDescriptor> shards = new ArrayList<>(byId.size());
    // In keyspace and key order, as the meta shard keeps them: the decider's sort is then linear.
    for (TreeMap<ByteString, SimShard> ks : byStart.values()) {
      for (SimShard s : ks.values()) {
        shards.add(s.descriptor);
      }
    }
    ClusterView.Builder view = ClusterView.builder();
    config.keyspaces().forEach(k -> view.keyspace(k.descriptor));
    return view.shards(shards)
        .stats(stats)
        .lastChanges(lastChange)
        .reportedHotKeys(reportedHotKeys)
        .inFlight(running.stream().map(Running::op).toList())
        .build();
  }

  /** Cuts for the initial shards: equal hash ranges, or equal numbers of the initial RANGE keys. */
  private static List<ByteString> initialCuts(SimKeyspace ks) {
    List<ByteString> cuts = new ArrayList<>();
    int n = ks.initialShards;
    double keys = ks.schedule.apply(0).keys();
    for (int i = 1; i < n; i++) {
      double position =
          ks.model instanceof KeyModel.Range ? Math.floor(keys * i / n) : (double) i / n;
      ByteString cut = ks.model.keyAt(position);
      if (cuts.isEmpty() || RoutingSpace.compare(cut, cuts.get(cuts.size() - 1)) > 0) {
        cuts.add(cut);
      }
    }
    return cuts;
  }

  private static ShardDescriptor descriptor(
      long id, int keyspace, ByteString start, ByteString end, long epoch) {
    return ShardDescriptor.newBuilder()
        .setShardId(id)
        .setKeyspaceId(keyspace)
        .setStart(start)
        .setEnd(end)
        .setEpoch(epoch)
        .build();
  }

  private void add(SimShard s) {
    byStart.get(s.descriptor.getKeyspaceId()).put(s.descriptor.getStart(), s);
    byId.put(s.id(), s);
    dirty.add(s);
    s.node = nextNode;
    nextNode = (nextNode + 1) % shardsPerNode.length;
    shardsPerNode[s.node]++;
  }

  private void remove(SimShard s) {
    byStart.get(s.descriptor.getKeyspaceId()).remove(s.descriptor.getStart());
    byId.remove(s.id());
    stats.remove(s.id());
    dirty.remove(s);
    reportedHotKeys.remove(s.id());
    shardsPerNode[s.node]--;
  }

  /** A shard's stats under {@code level}: what its range holds, with samples if over a limit. */
  private ShardStats computeStats(SimShard s, SimKeyspace.Level level) {
    SimKeyspace ks = s.keyspace;
    double noiseKeys = noise();
    double noiseLoad = noise();
    double keys =
        Math.max(
            0,
            ks.model.keysBelow(s.endPos, level.keys())
                - ks.model.keysBelow(s.startPos, level.keys()));
    long keyCount = Math.round(keys * noiseKeys);
    double uniformLoad = keys * level.loadPerKey() * noiseLoad;
    double hotLoad =
        level.hotLoad() * (ks.hotPrefix[s.hotTo] - ks.hotPrefix[s.hotFrom]) * noiseLoad;
    ShardStats.Builder b =
        ShardStats.newBuilder()
            .setShardId(s.id())
            .setKeyCount(keyCount)
            .setSize(Math.round(keyCount * ks.bytesPerKey))
            .setLoadPerSecond(uniformLoad + hotLoad);
    EffectivePolicy policy = policies.get(s.descriptor.getKeyspaceId());
    if (policy.ratio(keyCount, b.getSize(), b.getLoadPerSecond()) > 1) {
      addSamples(b, s, level, uniformLoad);
    }
    return b.build();
  }

  /** The hottest hot keys of the shard, plus evenly spaced keys carrying the uniform load. */
  private void addSamples(
      ShardStats.Builder b, SimShard s, SimKeyspace.Level level, double uniform) {
    SimKeyspace ks = s.keyspace;
    Integer[] hot = new Integer[s.hotTo - s.hotFrom];
    for (int i = 0; i < hot.length; i++) {
      hot[i] = s.hotFrom + i;
    }
    Arrays.sort(hot, (x, y) -> Double.compare(ks.hotWeights[y], ks.hotWeights[x]));
    for (int i = 0; i < Math.min(HOT_SAMPLES, hot.length); i++) {
      b.addHotKeys(sample(ks.hotKeys[hot[i]], level.hotLoad() * ks.hotWeights[hot[i]]));
    }
    double end = Math.min(s.endPos, ks.model instanceof KeyModel.Range ? level.keys() : 1);
    if (uniform > 0 && end > s.startPos) {
      for (int i = 0; i < UNIFORM_SAMPLES; i++) {
        double position = s.startPos + (i + 0.5) / UNIFORM_SAMPLES * (end - s.startPos);
        b.addHotKeys(sample(ks.model.keyAt(position), uniform / UNIFORM_SAMPLES));
      }
    }
  }

  private static KeySample sample(ByteString key, double load) {
    return KeySample.newBuilder().setRoutingKey(key).setLoad(load).build();
  }

  private double noise() {
    return config.noise() == 0 ? 1 : 1 + config.noise() * (2 * random.nextDouble() - 1);
  }

  /** Changes older than every cooldown cannot matter; dropping them keeps the view small. */
  private void pruneCooldowns(long now) {
    long longest =
        policies.values().stream().mapToLong(EffectivePolicy::cooldownMillis).max().orElse(0);
    lastChange.values().removeIf(t -> now - t > longest);
  }

  private void start(List<PlacementOperation> ops, long now) {
    for (PlacementOperation op : ops) {
      if (op instanceof HotKeyReport h) {
        hotKeyReports++;
        reportedHotKeys.put(h.shardId(), h.routingKey());
        continue;
      }
      // Split and merge each take one to three rounds, as copying data and starting groups would.
      long duration = (1 + random.nextInt(3)) * config.roundMillis();
      running.add(new Running(op, now + duration));
    }
  }

  private void finishOperations(long now) {
    for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
      Running r = it.next();
      if (r.finishAt() > now) {
        continue;
      }
      it.remove();
      if (r.op() instanceof Split split) {
        applySplit(split, now);
      } else {
        applyMerge((Merge) r.op(), now);
      }
    }
  }

  private void applySplit(Split op, long now) {
    SimShard s = byId.get(op.shardId());
    if (s == null || s.descriptor.getEpoch() != op.expectedEpoch()) {
      stale++;
      return;
    }
    ShardDescriptor d = s.descriptor;
    if (!RoutingSpace.strictlyInside(op.splitAt(), d.getStart(), d.getEnd())) {
      violations.add("split point outside its shard: " + op);
      return;
    }
    RangeKey range = new RangeKey(d.getKeyspaceId(), d.getStart(), d.getEnd());
    checkFlap(mergedAt.get(range), now, "split of a range merged at ", range);
    splitAt.put(range, now);
    splits++;
    long epoch = d.getEpoch() + 1;
    remove(s);
    SimShard left =
        new SimShard(
            s.keyspace,
            descriptor(d.getShardId(), d.getKeyspaceId(), d.getStart(), op.splitAt(), epoch));
    SimShard right =
        new SimShard(
            s.keyspace,
            descriptor(nextShardId++, d.getKeyspaceId(), op.splitAt(), d.getEnd(), epoch));
    add(left);
    add(right);
    lastChange.put(left.id(), now);
    lastChange.put(right.id(), now);
  }

  private void applyMerge(Merge op, long now) {
    SimShard l = byId.get(op.leftShardId());
    SimShard r = byId.get(op.rightShardId());
    if (l == null
        || r == null
        || l.descriptor.getEpoch() != op.leftEpoch()
        || r.descriptor.getEpoch() != op.rightEpoch()) {
      stale++;
      return;
    }
    ShardDescriptor ld = l.descriptor;
    ShardDescriptor rd = r.descriptor;
    if (ld.getKeyspaceId() != rd.getKeyspaceId() || !ld.getEnd().equals(rd.getStart())) {
      violations.add("merge of shards that are not neighbours: " + op);
      return;
    }
    RangeKey range = new RangeKey(ld.getKeyspaceId(), ld.getStart(), rd.getEnd());
    checkFlap(splitAt.get(range), now, "merge back of a range split at ", range);
    mergedAt.put(range, now);
    merges++;
    remove(l);
    remove(r);
    long epoch = Math.max(ld.getEpoch(), rd.getEpoch()) + 1;
    SimShard merged =
        new SimShard(
            l.keyspace,
            descriptor(ld.getShardId(), ld.getKeyspaceId(), ld.getStart(), rd.getEnd(), epoch));
    add(merged);
    lastChange.put(merged.id(), now);
  }

  private void checkFlap(Long then, long now, String what, RangeKey range) {
    if (then != null && now - then <= config.flapWindowMillis()) {
      flaps++;
      if (violations.size() < 20) {
        violations.add("flap: " + what + then + " at " + now + ": " + range);
      }
    }
  }

  /** Invariants that must hold after every round. */
  private void check(int round) {
    maxInFlight = Math.max(maxInFlight, running.size());
    if (running.size() > config.settings().maxConcurrentOperations()) {
      violations.add("round " + round + ": " + running.size() + " operations in flight");
    }
    Set<Long> busy = new HashSet<>();
    Map<Integer, Integer> pendingSplits = new HashMap<>();
    Map<Integer, Integer> pendingMerges = new HashMap<>();
    for (Running r : running) {
      for (long id : r.op().shardIds()) {
        if (!busy.add(id)) {
          violations.add("round " + round + ": shard " + id + " in two operations");
        }
      }
      int ks = byId.get(r.op().shardIds().get(0)).descriptor.getKeyspaceId();
      (r.op() instanceof Split ? pendingSplits : pendingMerges).merge(ks, 1, Integer::sum);
    }
    for (var e : byStart.entrySet()) {
      int ks = e.getKey();
      EffectivePolicy p = policies.get(ks);
      int count = e.getValue().size();
      if (count + pendingSplits.getOrDefault(ks, 0) > p.maxShards()) {
        violations.add("round " + round + ": keyspace " + ks + " over max_shards");
      }
      long floor = Math.min(p.minShards(), initialCounts.get(ks));
      if (count - pendingMerges.getOrDefault(ks, 0) < floor) {
        violations.add("round " + round + ": keyspace " + ks + " under min_shards");
      }
    }
  }

  private Result result(int rounds, boolean converged, SimKeyspace.Level[] levels) {
    Map<Integer, Integer> perKeyspace = new TreeMap<>();
    byStart.forEach((ks, shards) -> perKeyspace.put(ks, shards.size()));
    int overLimit = 0;
    for (SimShard s : byId.values()) {
      ShardStats st = stats.get(s.id());
      if (st != null
          && policies.get(s.descriptor.getKeyspaceId()).ratio(st) > 1
          && st.getKeyCount() > 1
          && !reportedHotKeys.containsKey(s.id())
          && byStart.get(s.descriptor.getKeyspaceId()).size()
              < policies.get(s.descriptor.getKeyspaceId()).maxShards()) {
        overLimit++;
      }
    }
    return new Result(
        config.name(),
        rounds,
        splits,
        merges,
        hotKeyReports,
        byId.size(),
        perKeyspace,
        Arrays.stream(shardsPerNode).max().orElse(0),
        maxInFlight,
        flaps,
        stale,
        overLimit,
        converged,
        decideNanos / 1e6 / rounds,
        (statsNanos + viewNanos) / 1e6 / rounds,
        List.copyOf(violations));
  }
}
