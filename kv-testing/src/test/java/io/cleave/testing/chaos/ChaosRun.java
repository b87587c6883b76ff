package io.cleave.testing.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStatus;
import io.cleave.client.CasResult;
import io.cleave.client.CleaveClient;
import io.cleave.client.CleaveException;
import io.cleave.client.Expectation;
import io.cleave.client.GetResult;
import io.cleave.client.KeyspaceOptions;
import io.cleave.client.Update;
import io.cleave.testing.ClockSkew;
import io.cleave.testing.NetnsNetwork;
import io.cleave.testing.ProcessCluster;
import io.cleave.testing.RaftSegmentTail;
import io.cleave.testing.history.Bytes;
import io.cleave.testing.history.CheckResult;
import io.cleave.testing.history.Command;
import io.cleave.testing.history.History;
import io.cleave.testing.history.HistoryInvariants;
import io.cleave.testing.history.LinearizabilityChecker;
import io.cleave.testing.history.Operation;
import io.cleave.testing.history.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One chaos run: a 3-process cluster, a register workload recorded into a {@link History}, a
 * nemesis injecting one fault at a time, then heal, final reads and the checks. Used by the {@code
 * *ChaosIT} scenarios; each builds one with the faults it wants and calls {@link #runAndCheck()}.
 *
 * <p>Workload: {@link #CLIENTS} threads, each with its own client, doing reads (50 %), writes (30
 * %) and compare-and-sets (20 %) on {@link #KEYS} keys. The key set rotates every {@link
 * #KEY_EPOCH} so that a long run does not grow one key's history without bound (the search is
 * exponential in the concurrency of a key's history, and UNKNOWN writes stay concurrent with
 * everything after them). Written values are unique ({@code c<client>-<seq>}), so lost writes and
 * phantoms are attributable.
 *
 * <p>Recording rules: a write or CAS that fails in any way after it may have been sent is UNKNOWN
 * (the client retries UNAVAILABLE internally, so even a final FAILED_PRECONDITION may follow an
 * attempt that landed); a failed read is FAIL, it changed nothing.
 *
 * <p>Duration: {@code -Dchaos.minutes=N} or {@code -Dchaos.seconds=N}, else the scenario's default.
 * Seed: {@code -Dchaos.seed=N} to replay a nemesis schedule and op mix (timing still differs).
 */
final class ChaosRun {
  static final int CLIENTS = 3;
  static final int KEYS = 10;
  static final Duration KEY_EPOCH = Duration.ofSeconds(30);
  static final String KEYSPACE = "chaos";
  static final long AUTO_SPLIT_LOAD = 20;

  /** Faults the nemesis may inject. */
  enum Fault {
    /** SIGKILL a random node, keep it down 2-5 s, restart it on the same data. */
    KILL,
    /**
     * SIGKILL a random node, tear the tail of the open Raft log segment of every group it hosts
     * (lost unsynced writes, {@link ProcessCluster#tearRaftLogTails}), keep it down 2-5 s, restart
     * it; then wait until every replica has caught up with its leader before the next fault (the
     * tear may cut an entry the node had acknowledged, which only its peers still hold).
     */
    KILL_AND_TEAR_LOG,
    /** SIGSTOP a random node for 2-6 s, then SIGCONT. */
    PAUSE,
    /**
     * Cut links with iptables for 3-7 s, then heal; needs {@link #inNetworkNamespaces()}. One of:
     * isolate the leader of a random shard from its peers (clients still reach it), isolate a
     * random node from peers and clients (a pulled cable), or cut one node-to-node link (the third
     * node bridges both sides).
     */
    PARTITION
  }

  private final String name;
  private final Set<Fault> faults;
  private final boolean splitsAndMerges;
  private final Duration duration;
  private final long seed;
  private final Random random;
  private final Duration faultInterval = Duration.ofSeconds(8);
  private final Duration splitMergeInterval = Duration.ofSeconds(12);

  private final History history = new History();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());
  private final Set<String> usedKeys = new ConcurrentSkipListSet<>();
  private long startNanos;
  private Boolean shardMapTiles;
  private ProcessCluster cluster;
  private boolean useNetns;
  private NetnsNetwork network;
  private int skewedNode = -1;
  private String clockSpec;
  private CleaveClient admin;
  private KeyspaceOptions keyspaceOptions = KeyspaceOptions.builder().initialShards(2).build();

  private ChaosRun(String name, Set<Fault> faults, boolean splitsAndMerges, Duration byDefault) {
    this.name = name;
    this.faults = faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults);
    this.splitsAndMerges = splitsAndMerges;
    this.duration = configuredDuration(byDefault);
    this.seed = Long.getLong("chaos.seed", System.nanoTime());
    this.random = new Random(seed);
  }

  /**
   * A run named {@code name} (used for the output directory) injecting {@code faults}, with manual
   * splits and merges if {@code splitsAndMerges}, lasting {@code byDefault} unless configured.
   */
  static ChaosRun of(String name, Set<Fault> faults, boolean splitsAndMerges, Duration byDefault) {
    return new ChaosRun(name, faults, splitsAndMerges, byDefault);
  }

  /**
   * Runs each node in its own network namespace ({@link NetnsNetwork}; root, iproute2 and iptables
   * needed), so that {@link Fault#PARTITION} can cut links. Check {@link
   * NetnsNetwork#unavailableReason()} first.
   */
  ChaosRun inNetworkNamespaces() {
    this.useNetns = true;
    return this;
  }

  /**
   * Runs node {@code index} (all its restarts too) under the libfaketime spec {@code spec}, e.g.
   * {@code "+0 x2"} for a clock twice as fast. Check {@link ClockSkew#library()} first.
   */
  ChaosRun withClock(int index, String spec) {
    this.skewedNode = index;
    this.clockSpec = spec;
    return this;
  }

  /**
   * Lets the placement loop split and merge the keyspace on its own too, on thresholds the workload
   * crosses within seconds: a shard splits above {@link #AUTO_SPLIT_LOAD} load units per second
   * (the workload's current 10 keys are hot), and shards whose keys went cold (the key set rotates
   * every {@link #KEY_EPOCH}) merge back, so both happen during a 2-minute run.
   */
  ChaosRun withAutomaticSplitsAndMerges() {
    this.keyspaceOptions =
        KeyspaceOptions.builder()
            .initialShards(2)
            .minShards(1)
            .maxShards(6)
            .maxLoadPerShard(AUTO_SPLIT_LOAD)
            .cooldown(Duration.ofSeconds(10))
            .build();
    return this;
  }

  static Duration configuredDuration(Duration byDefault) {
    Long minutes = Long.getLong("chaos.minutes");
    if (minutes != null) {
      return Duration.ofMinutes(minutes);
    }
    Long seconds = Long.getLong("chaos.seconds");
    return seconds != null ? Duration.ofSeconds(seconds) : byDefault;
  }

  private Path outputDir() {
    return Path.of("target", "chaos", name);
  }

  private void count(String what) {
    counters.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
  }

  private long counter(String what) {
    AtomicLong c = counters.get(what);
    return c == null ? 0 : c.get();
  }

  private void event(String what) {
    String line = String.format("+%6.1fs %s", (System.nanoTime() - startNanos) / 1e9, what);
    events.add(line);
    System.out.println("[nemesis] " + line);
  }

  /** Runs the whole scenario and fails the calling test if any check fails. */
  void runAndCheck() throws Exception {
    System.out.printf(
        "chaos run %s: faults %s, splits/merges %s, %d s, seed %d, %s%n",
        name, faults, splitsAndMerges, duration.toSeconds(), seed, setup());
    if (faults.contains(Fault.PARTITION) && !useNetns) {
      throw new IllegalStateException("PARTITION needs inNetworkNamespaces()");
    }
    Map<String, String> clockEnv = clockSpec == null ? Map.of() : ClockSkew.environment(clockSpec);
    java.util.function.IntFunction<Map<String, String>> env =
        i -> i == skewedNode ? clockEnv : Map.of();
    network = useNetns ? NetnsNetwork.create(3) : null;
    try {
      ProcessCluster.Launcher launcher =
          network != null
              ? network.withEnvironment(env)
              : new ProcessCluster.Launcher() {
                @Override
                public Map<String, String> environment(int index) {
                  return env.apply(index);
                }
              };
      try (ProcessCluster c =
          ProcessCluster.start(3, ProcessCluster.Options.defaults(), launcher)) {
        cluster = c;
        try {
          run();
        } catch (Exception | Error e) {
          writeAbortedHistory();
          throw e;
        } finally {
          cluster.copyLogsTo(outputDir());
        }
      }
    } finally {
      if (network != null) {
        network.close();
      }
    }
  }

  // A run that stops early (e.g. the cluster never got ready again) still leaves its history.
  private void writeAbortedHistory() {
    stop.set(true);
    try {
      Files.createDirectories(outputDir());
      Path file = outputDir().resolve("history-" + seed + "-aborted.jsonl");
      history.writeJsonLines(file);
      System.out.println(
          "aborted run: " + history.size() + " operations in " + file.toAbsolutePath());
    } catch (IOException | RuntimeException e) {
      System.out.println("could not write the history of the aborted run: " + e);
    }
  }

  /**
   * Registers the run's keyspace, retrying until it exists. Right after the cluster started the
   * meta shard may still be electing on a loaded machine, and a node whose clock runs fast
   * (ClockSkewChaosIT) cancels a call when its own deadline timer fires - early in real time - so
   * one attempt may fail although the registration went through; it is then already there.
   */
  private void registerKeyspace() {
    CleaveClient patient = cluster.client(b -> b.defaultTimeout(Duration.ofSeconds(30)));
    Awaitility.await("keyspace " + KEYSPACE + " registered")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(
            () -> {
              boolean exists =
                  patient.blocking().admin().listKeyspaces().stream()
                      .anyMatch(k -> k.getName().equals(KEYSPACE));
              if (!exists) {
                patient.blocking().admin().registerKeyspace(KEYSPACE, keyspaceOptions);
              }
              return true;
            });
  }

  private String setup() {
    String net = useNetns ? "nodes in network namespaces 10.201.0.11-13" : "nodes on loopback";
    return clockSpec == null
        ? net
        : net + ", n" + (skewedNode + 1) + " clock FAKETIME=" + clockSpec;
  }

  private void run() throws Exception {
    admin = cluster.client(b -> b.defaultTimeout(Duration.ofSeconds(5)));
    registerKeyspace();
    startNanos = System.nanoTime();
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> crashed = new AtomicReference<>();
    for (int i = 0; i < CLIENTS; i++) {
      int clientId = i;
      CleaveClient client = cluster.client(b -> b.defaultTimeout(Duration.ofSeconds(3)));
      Thread t =
          new Thread(
              () -> {
                try {
                  workload(clientId, client, new Random(seed + 1 + clientId));
                } catch (Throwable e) {
                  crashed.compareAndSet(null, e);
                }
              },
              "chaos-client-" + i);
      workers.add(t);
      t.start();
    }

    nemesis(admin);
    heal();
    stop.set(true);
    for (Thread t : workers) {
      t.join(30_000);
      assertThat(t.isAlive()).as(t.getName() + " stopped").isFalse();
    }
    assertThat(crashed.get()).as("a client thread crashed").isNull();
    event("workload stopped after " + history.size() + " operations");

    List<Operation> finalReads = finalReads();
    checkReplicasConverged(finalReads);
    checkShardMapTiles(admin);
    check(finalReads);
  }

  // ------------------------------------------------------------------------------------ workload

  private Bytes keyAt(int index) {
    long epoch = (System.nanoTime() - startNanos) / KEY_EPOCH.toNanos();
    String key = "e" + epoch + "-k" + index;
    usedKeys.add(key);
    return Bytes.utf8(key);
  }

  private static io.cleave.client.Bytes toClient(Bytes b) {
    return io.cleave.client.Bytes.of(b.toByteArray());
  }

  private static Bytes fromClient(io.cleave.client.Bytes b) {
    return Bytes.of(b.toByteArray());
  }

  private void workload(int clientId, CleaveClient client, Random rnd) {
    Map<Bytes, Bytes> lastSeen = new HashMap<>(); // this client's guess for CAS expectations
    long seq = 0;
    while (!stop.get()) {
      Bytes key = keyAt(rnd.nextInt(KEYS));
      int dice = rnd.nextInt(100);
      if (dice < 50) {
        History.Pending call = history.invoke(clientId, Command.read(key));
        try {
          GetResult r = client.blocking().get(KEYSPACE, toClient(key));
          Bytes value = r.found() ? fromClient(r.value()) : null;
          call.ok(value);
          lastSeen.put(key, value);
          count("read ok");
        } catch (CleaveException e) {
          call.fail();
          count("read fail " + e.code());
        }
      } else if (dice < 80) {
        Bytes value = Bytes.utf8("c" + clientId + "-" + seq++);
        History.Pending call = history.invoke(clientId, Command.write(key, value));
        try {
          client.blocking().put(KEYSPACE, toClient(key), toClient(value));
          call.ok();
          lastSeen.put(key, value);
          count("write ok");
        } catch (CleaveException e) {
          call.unknown();
          lastSeen.remove(key);
          count("write unknown " + e.code());
        }
      } else {
        Bytes expected = lastSeen.get(key);
        Bytes value = Bytes.utf8("c" + clientId + "-" + seq++);
        History.Pending call = history.invoke(clientId, Command.cas(key, expected, value));
        try {
          CasResult r =
              client
                  .blocking()
                  .compareAndSet(
                      KEYSPACE,
                      toClient(key),
                      expected == null
                          ? Expectation.absent()
                          : Expectation.value(toClient(expected)),
                      Update.set(toClient(value)));
          call.ok(r.succeeded());
          lastSeen.put(key, r.found() ? fromClient(r.value()) : null);
          count(r.succeeded() ? "cas swapped" : "cas not swapped");
        } catch (CleaveException e) {
          call.unknown();
          lastSeen.remove(key);
          count("cas unknown " + e.code());
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------- nemesis

  private boolean timeLeft() {
    return System.nanoTime() - startNanos < duration.toNanos();
  }

  private void nemesis(CleaveClient admin) throws Exception {
    // Splits and merges run on their own schedule, so that they also happen while a node is
    // down or frozen, not only between faults.
    Thread placement = null;
    AtomicReference<Throwable> placementCrashed = new AtomicReference<>();
    if (splitsAndMerges) {
      placement =
          new Thread(
              () -> {
                try {
                  while (sleepUntil(System.nanoTime() + splitMergeInterval.toNanos())) {
                    splitOrMerge(admin);
                  }
                } catch (Throwable e) {
                  placementCrashed.set(e);
                }
              },
              "chaos-split-merge");
      placement.start();
    }
    List<Fault> choices = new ArrayList<>(faults);
    while (sleepUntil(System.nanoTime() + faultInterval.toNanos())) {
      if (!choices.isEmpty()) {
        inject(choices.get(random.nextInt(choices.size())));
      }
    }
    if (placement != null) {
      placement.join();
      assertThat(placementCrashed.get()).as("split/merge thread crashed").isNull();
    }
  }

  /** Sleeps until {@code deadline} or the end of the run; whether the run has time left. */
  private boolean sleepUntil(long deadline) throws InterruptedException {
    long end = startNanos + duration.toNanos();
    long wake = Math.min(deadline, end);
    long now = System.nanoTime();
    if (wake > now) {
      Thread.sleep((wake - now) / 1_000_000 + 1); // the schedule: nothing to wait for but time
    }
    return System.nanoTime() < end;
  }

  private void inject(Fault fault) throws InterruptedException {
    int node = random.nextInt(cluster.size());
    String id = cluster.nodeId(node);
    switch (fault) {
      case KILL -> {
        cluster.kill(node);
        long down = 2000 + random.nextInt(3000);
        event("kill -9 " + id + ", down for " + down + " ms");
        Thread.sleep(down); // the fault: the node stays dead this long
        cluster.restart(node);
      }
      case KILL_AND_TEAR_LOG -> {
        cluster.kill(node);
        List<RaftSegmentTail.Tear> tears = cluster.tearRaftLogTails(node, random);
        long down = 2000 + random.nextInt(3000);
        event("kill -9 " + id + ", down for " + down + " ms; tore " + tears.size() + " segments:");
        for (RaftSegmentTail.Tear tear : tears) {
          event("  " + tear);
          count("torn segment " + tear.how());
        }
        Thread.sleep(down); // the fault: the node stays dead this long
        cluster.restart(node);
      }
      case PAUSE -> {
        cluster.pause(node);
        long paused = 2000 + random.nextInt(4000);
        event("SIGSTOP " + id + " for " + paused + " ms");
        Thread.sleep(paused); // the fault: the node is frozen this long
        cluster.resume(node);
      }
      case PARTITION -> {
        long cut = 3000 + random.nextInt(4000);
        String what = partition(node);
        event(what + " for " + cut + " ms: " + network.rules());
        Thread.sleep(cut); // the fault: the links stay cut this long
        network.heal();
        event("partition healed");
      }
    }
    count("fault " + fault);
    long t0 = System.nanoTime();
    cluster.awaitReady();
    String who = fault == Fault.PARTITION ? "links back" : id + " back";
    event(who + ", cluster ready after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    if (fault == Fault.KILL_AND_TEAR_LOG) {
      // The tear may have cut entries this node had acknowledged (a crash never loses synced
      // bytes; the tear cannot tell which were synced). A second fault before it refetched them
      // would test more than the failure model promises: wait for every replica to catch up.
      // Measured 9-21 s on a quiet box and 35-48 s with two busy loops beside the run (the stuck-
      // follower remedy only acts after 15 s), so allow 120 s.
      String applied = cluster.awaitReplicasCaughtUp(Duration.ofSeconds(120));
      event(
          "every replica caught up after "
              + (System.nanoTime() - t0) / 1_000_000
              + " ms (shard@leader applied index: "
              + applied
              + ")");
    }
  }

  /** Cuts links around {@code node} (or a shard leader); what it did, for the nemesis log. */
  private String partition(int node) {
    int mode = random.nextInt(3);
    if (mode == 0) {
      int leader = leaderOfRandomShard().orElse(node);
      network.isolate(leader, false);
      count("partition isolate-leader");
      return "isolate "
          + cluster.nodeId(leader)
          + " (a shard leader) from its peers, clients reach it";
    } else if (mode == 1) {
      network.isolate(node, true);
      count("partition isolate-fully");
      return "isolate " + cluster.nodeId(node) + " from peers and clients";
    } else {
      int a = (node + 1) % cluster.size();
      int b = (node + 2) % cluster.size();
      network.cut(a, b);
      count("partition bridge");
      return "cut "
          + cluster.nodeId(a)
          + "<->"
          + cluster.nodeId(b)
          + ", "
          + cluster.nodeId(node)
          + " bridges both";
    }
  }

  private java.util.Optional<Integer> leaderOfRandomShard() {
    try {
      List<ShardDescriptor> shards = sortedShards(admin);
      List<Integer> leaders =
          shards.stream()
              .map(ShardDescriptor::getLeaderNodeId)
              .map(cluster::indexOf)
              .filter(i -> i >= 0)
              .toList();
      return leaders.isEmpty()
          ? java.util.Optional.empty()
          : java.util.Optional.of(leaders.get(random.nextInt(leaders.size())));
    } catch (CleaveException e) {
      return java.util.Optional.empty();
    }
  }

  private void splitOrMerge(CleaveClient admin) {
    List<ShardDescriptor> shards;
    try {
      shards = sortedShards(admin);
    } catch (CleaveException e) {
      event("describeKeyspace failed: " + e.code());
      count("describe failed");
      return;
    }
    event("shards: " + layout(shards));
    boolean merge = shards.size() >= 4 || (shards.size() >= 2 && random.nextBoolean());
    if (merge) {
      List<ShardDescriptor[]> pairs = new ArrayList<>();
      for (int i = 0; i + 1 < shards.size(); i++) {
        ShardDescriptor l = shards.get(i);
        ShardDescriptor r = shards.get(i + 1);
        if (l.getEnd().equals(r.getStart()) && replicaIds(l).equals(replicaIds(r))) {
          pairs.add(new ShardDescriptor[] {l, r});
        }
      }
      if (pairs.isEmpty()) {
        event("no adjacent shards with the same replicas to merge: " + layout(shards));
        count("merge skipped");
        return;
      }
      ShardDescriptor[] pair = pairs.get(random.nextInt(pairs.size()));
      try {
        var merged =
            admin.blocking().admin().mergeShards(pair[0].getShardId(), pair[1].getShardId());
        count("merge done");
        event(
            "merged shards "
                + pair[0].getShardId()
                + "+"
                + pair[1].getShardId()
                + " -> "
                + merged.getMerged().getShardId());
      } catch (CleaveException e) {
        count("merge failed " + e.code());
        event(
            "merge "
                + pair[0].getShardId()
                + "+"
                + pair[1].getShardId()
                + " failed: "
                + e.getMessage());
      }
    } else {
      ShardDescriptor victim = shards.get(random.nextInt(shards.size()));
      try {
        var split =
            admin.blocking().admin().splitShard(victim.getShardId(), io.cleave.client.Bytes.EMPTY);
        count("split done");
        event(
            "split shard "
                + victim.getShardId()
                + " -> "
                + split.getLeft().getShardId()
                + ", "
                + split.getRight().getShardId());
      } catch (CleaveException e) {
        count("split failed " + e.code());
        event("split " + victim.getShardId() + " failed: " + e.getMessage());
      }
    }
  }

  static String layout(List<ShardDescriptor> shards) {
    return shards.stream()
        .map(
            d ->
                d.getShardId()
                    + "["
                    + hex(d.getStart())
                    + ","
                    + hex(d.getEnd())
                    + ")e"
                    + d.getEpoch()
                    + replicaIds(d))
        .collect(Collectors.joining(" "));
  }

  private static String hex(com.google.protobuf.ByteString b) {
    return java.util.HexFormat.of().formatHex(b.toByteArray());
  }

  private static Set<String> replicaIds(ShardDescriptor shard) {
    return shard.getReplicasList().stream().map(Replica::getNodeId).collect(Collectors.toSet());
  }

  private static int compareUnsigned(
      com.google.protobuf.ByteString a, com.google.protobuf.ByteString b) {
    return java.util.Arrays.compareUnsigned(a.toByteArray(), b.toByteArray());
  }

  /**
   * After healing, the keyspace's shards in the cluster map must tile its routing space: sorted by
   * start, each begins where the previous ended, the first at the beginning and the last at the
   * end, no overlap. Waits a while, since the map learns of splits and merges asynchronously.
   */
  private void checkShardMapTiles(CleaveClient admin) {
    AtomicReference<String> last = new AtomicReference<>("(not read)");
    if (!ChaosSuite.ASSERT_SHARD_MAP_TILES) {
      // Report only (ChaosSuite.ASSERT_SHARD_MAP_TILES off), e.g. to get past a known map bug.
      List<ShardDescriptor> shards = sortedShards(admin);
      shardMapTiles = tiles(shards);
      event("final shard map (tiles: " + shardMapTiles + "): " + layout(shards));
      return;
    }
    try {
      Awaitility.await("the shard map tiles the routing space")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () -> {
                List<ShardDescriptor> shards = sortedShards(admin);
                last.set(layout(shards));
                return tiles(shards);
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("shard map does not tile the routing space: " + last.get(), e);
    }
    shardMapTiles = true;
    event("final shard map: " + last.get());
  }

  static boolean tiles(List<ShardDescriptor> sorted) {
    com.google.protobuf.ByteString expectedStart = com.google.protobuf.ByteString.EMPTY;
    for (int i = 0; i < sorted.size(); i++) {
      ShardDescriptor d = sorted.get(i);
      if (!d.getStart().equals(expectedStart)) {
        return false;
      }
      if (d.getEnd().isEmpty()) {
        return i == sorted.size() - 1;
      }
      expectedStart = d.getEnd();
    }
    return false;
  }

  private static List<ShardDescriptor> sortedShards(CleaveClient admin) {
    return admin.blocking().admin().describeKeyspace(KEYSPACE).getShardsList().stream()
        .map(ShardStatus::getShard)
        .sorted((a, b) -> compareUnsigned(a.getStart(), b.getStart()))
        .toList();
  }

  private void heal() {
    if (network != null) {
      network.heal();
    }
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.isPaused(i)) {
        cluster.resume(i);
      }
      if (!cluster.isRunning(i)) {
        cluster.restart(i);
      }
    }
    cluster.awaitReady();
    event("healed: all nodes running and alive");
  }

  // -------------------------------------------------------------------------------------- checks

  private List<Operation> finalReads() {
    CleaveClient reader = cluster.client(b -> b.defaultTimeout(Duration.ofSeconds(5)));
    int finalClient = CLIENTS; // its own client id, after the workload's
    List<Long> ids = new ArrayList<>();
    for (String key : usedKeys) {
      Bytes k = Bytes.utf8(key);
      Awaitility.await("final read of " + key)
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                History.Pending call = history.invoke(finalClient, Command.read(k));
                try {
                  GetResult r = reader.blocking().get(KEYSPACE, toClient(k));
                  call.ok(r.found() ? fromClient(r.value()) : null);
                  ids.add(call.id());
                  return true;
                } catch (CleaveException e) {
                  call.fail();
                  return false;
                }
              });
    }
    Set<Long> wanted = Set.copyOf(ids);
    return history.operations().stream().filter(op -> wanted.contains(op.id())).toList();
  }

  /** Every node's own replica must reach the final values (Raft logs converge). */
  private void checkReplicasConverged(List<Operation> finalReads) {
    for (int node = 0; node < cluster.size(); node++) {
      int n = node;
      List<String> behind = new ArrayList<>();
      try {
        Awaitility.await(cluster.nodeId(n) + " converged")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  behind.clear();
                  for (Operation read : finalReads) {
                    Bytes local;
                    try {
                      local =
                          cluster
                              .readLocal(n, KEYSPACE, read.key().toByteArray())
                              .map(Bytes::of)
                              .orElse(null);
                    } catch (RuntimeException e) {
                      behind.add(read.key() + ": " + e.getMessage());
                      continue;
                    }
                    if (!Objects.equals(local, read.observed())) {
                      behind.add(
                          read.key() + ": replica " + local + ", cluster " + read.observed());
                    }
                  }
                  return behind.isEmpty();
                });
      } catch (ConditionTimeoutException e) {
        throw new AssertionError(
            cluster.nodeId(n)
                + " did not converge: "
                + behind.subList(0, Math.min(10, behind.size())),
            e);
      }
    }
    event(
        "all "
            + cluster.size()
            + " replicas hold the final values of "
            + finalReads.size()
            + " keys");
  }

  private void check(List<Operation> finalReads) throws IOException {
    Files.createDirectories(outputDir());
    Path historyFile = outputDir().resolve("history-" + seed + ".jsonl");
    history.writeJsonLines(historyFile);
    List<Operation> ops = history.operations();

    long t0 = System.nanoTime();
    CheckResult result =
        LinearizabilityChecker.builder().perKeyBudget(Duration.ofSeconds(60)).build().check(ops);
    long checkMillis = (System.nanoTime() - t0) / 1_000_000;
    HistoryInvariants.Report invariants = HistoryInvariants.check(ops, finalReads);

    String summary = summary(ops, result, checkMillis, historyFile);
    System.out.println(summary);
    try {
      Files.writeString(outputDir().resolve("summary.txt"), summary, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(invariants.ok())
        .as(
            "no lost acknowledged write, no phantom read:\n%s\nhistory: %s",
            invariants.report(), historyFile.toAbsolutePath())
        .isTrue();
    assertThat(result.verdict())
        .as("linearizability:\n%s\nhistory: %s", result.report(), historyFile.toAbsolutePath())
        .isEqualTo(Verdict.LINEARIZABLE);
  }

  private String summary(List<Operation> ops, CheckResult result, long checkMillis, Path file) {
    Map<String, Long> byKind = new TreeMap<>();
    for (Operation op : ops) {
      byKind.merge(op.type() + " " + op.outcome(), 1L, Long::sum);
    }
    StringBuilder s = new StringBuilder();
    s.append("==== chaos run ").append(name).append(" (seed ").append(seed).append(")\n");
    s.append("duration: ")
        .append(duration.toSeconds())
        .append(" s of faults, faults ")
        .append(faults);
    s.append(", splits/merges ").append(splitsAndMerges).append('\n');
    s.append("setup: ").append(setup()).append('\n');
    s.append("operations: ")
        .append(ops.size())
        .append(" on ")
        .append(usedKeys.size())
        .append(" keys ");
    s.append(byKind).append('\n');
    s.append("client counters: ").append(new TreeMap<>(Map.copyOf(snapshot()))).append('\n');
    s.append("faults injected: ");
    for (Fault f : Fault.values()) {
      s.append(f).append('=').append(counter("fault " + f)).append(' ');
    }
    s.append("(torn segments: truncated ")
        .append(counter("torn segment " + RaftSegmentTail.How.TRUNCATED))
        .append(", zeroed ")
        .append(counter("torn segment " + RaftSegmentTail.How.ZEROED))
        .append(')');
    s.append("\nsplits done: ").append(counter("split done"));
    s.append(", merges done: ").append(counter("merge done"));
    long[] done = splitsAndMergesInNodeLogs();
    s.append("; in the node logs, manual and automatic: ")
        .append(done[0])
        .append(" splits, ")
        .append(done[1])
        .append(" merges");
    s.append(", split/merge failures: ")
        .append(
            snapshot().entrySet().stream()
                .filter(
                    e ->
                        e.getKey().startsWith("split failed")
                            || e.getKey().startsWith("merge failed"))
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList())
        .append('\n');
    s.append("shard map tiles the routing space after healing: ")
        .append(shardMapTiles)
        .append('\n');
    s.append("checker: ")
        .append(result.verdict())
        .append(" in ")
        .append(checkMillis)
        .append(" ms, ");
    s.append(result.keyCount(Verdict.LINEARIZABLE))
        .append(" keys linearizable; max configurations on one key ");
    s.append(result.keys().stream().mapToLong(CheckResult.KeyResult::explored).max().orElse(0));
    s.append("\nhistory: ").append(file.toAbsolutePath()).append('\n');
    s.append("nemesis log:\n");
    synchronized (events) {
      events.forEach(e -> s.append("  ").append(e).append('\n'));
    }
    return s.toString();
  }

  /**
   * Splits and merges done, manual and automatic, counted from the nodes' logs: the placement loop
   * does the automatic ones on the meta leader, which the test does not see otherwise. Every done
   * split or merge is logged once, by the node that ran it ({@code ShardOperations}).
   */
  private long[] splitsAndMergesInNodeLogs() {
    long[] counts = new long[2];
    for (int i = 0; i < cluster.size(); i++) {
      try (var lines = Files.lines(cluster.logFile(i), StandardCharsets.UTF_8)) {
        lines.forEach(
            line -> {
              if (line.contains("ShardOperations - split shard ")) {
                counts[0]++;
              } else if (line.contains("ShardOperations - merged shard ")) {
                counts[1]++;
              }
            });
      } catch (IOException | UncheckedIOException e) {
        event("cannot read " + cluster.logFile(i) + ": " + e);
      }
    }
    return counts;
  }

  private Map<String, Long> snapshot() {
    Map<String, Long> m = new HashMap<>();
    counters.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }
}
