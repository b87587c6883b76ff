package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real commands, run in process against the cluster {@code cleave dev} starts on free loopback
 * ports: one dev cluster for the class, stopped at the end.
 */
class CliIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dataDir;
  private static int basePort;
  private static DevRun dev;

  @BeforeAll
  static void startDev() {
    basePort = DevRun.freeBasePort(3);
    dev = DevRun.start(dataDir, basePort, basePort + 100);
  }

  @AfterAll
  static void stopDev() {
    if (dev != null) {
      dev.stop();
    }
  }

  /** {@code cleave --endpoints <dev> --timeout 20s args...}. */
  private static CliRun cleave(String... args) {
    List<String> all = new ArrayList<>();
    all.add("--endpoints");
    all.add(
        String.join(
            ",", IntStream.range(0, 3).mapToObj(i -> "127.0.0.1:" + (basePort + i)).toList()));
    all.add("--timeout");
    all.add("20s");
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  private static CliRun ok(String... args) {
    CliRun run = cleave(args);
    assertThat(run.exitCode())
        .as("cleave %s%nstdout: %s%nstderr: %s", String.join(" ", args), run.out(), run.err())
        .isZero();
    return run;
  }

  private static JsonNode json(String... args) throws Exception {
    return JSON.readTree(ok(args).out());
  }

  @Test
  void devCreatesDemoAndKeepsDataAcrossRestart() {
    assertThat(dev.out())
        .contains("keyspace 'demo' created")
        .contains("127.0.0.1:" + basePort)
        .contains("put demo hello world");

    assertThat(ok("put", "demo", "hello", "world").out()).isEqualTo("OK\n");
    assertThat(ok("get", "demo", "hello").out()).isEqualTo("world\n");

    assertThat(dev.stop()).isZero();
    assertThat(dev.out()).contains("stopped");
    dev = DevRun.start(dataDir, basePort, basePort + 100);

    assertThat(dev.out()).contains("restarting").contains("keyspace 'demo' already exists");
    assertThat(ok("get", "demo", "hello").out()).isEqualTo("world\n");
  }

  @Test
  void keyspaceCreateThenDescribeListsEveryShardWithLeadersOnEveryNode() {
    assertThat(ok("keyspace", "create", "users", "--shards", "8").out())
        .contains("keyspace 'users' created")
        .contains("8 shards");

    // Leaders and statistics reach the meta shard with the nodes' heartbeats.
    Awaitility.await("8 led shards with statistics")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              JsonNode users = json("keyspace", "describe", "users", "-w", "json");
              assertThat(users.path("name").asText()).isEqualTo("users");
              assertThat(users.path("shard_count").asInt()).isEqualTo(8);
              JsonNode shards = users.path("shards");
              assertThat(shards).hasSize(8);
              Set<String> leaders = new HashSet<>();
              for (JsonNode shard : shards) {
                assertThat(shard.has("id")).isTrue();
                assertThat(shard.path("epoch").asLong()).isPositive();
                assertThat(shard.path("replicas")).hasSize(3);
                assertThat(shard.path("leader").asText()).isNotEmpty();
                assertThat(shard.has("key_count")).isTrue();
                assertThat(shard.has("size")).isTrue();
                leaders.add(shard.path("leader").asText());
              }
              assertThat(leaders).containsExactlyInAnyOrder("n1", "n2", "n3");
              // The ranges tile the routing space, in hex: "" at both ends.
              assertThat(shards.get(0).path("start").asText()).isEmpty();
              assertThat(shards.get(7).path("end").asText()).isEmpty();
              for (int i = 0; i < 7; i++) {
                assertThat(shards.get(i).path("end").asText())
                    .matches("[0-9a-f]+")
                    .isEqualTo(shards.get(i + 1).path("start").asText());
              }
            });

    assertThat(ok("keyspace", "list").out()).contains("users, ").contains("demo, ");
    assertThat(ok("keyspace", "describe", "users", "-w", "table").out())
        .contains("| SHARD |")
        .contains("keyspace: users");
  }

  @Test
  void statusShowsEveryNodeAliveAndTheMetaLeader() throws Exception {
    JsonNode status = json("status", "-w", "json");
    assertThat(status.path("nodes")).hasSize(3);
    for (JsonNode node : status.path("nodes")) {
      assertThat(node.path("alive").asBoolean()).as(node.toString()).isTrue();
    }
    assertThat(status.path("meta_leader").asText()).isIn("n1", "n2", "n3");
    assertThat(status.path("keyspace_count").asInt()).isPositive();
    assertThat(ok("status").out()).contains("(3 alive)");
  }

  @Test
  void shardsSplitAndMergeByHandKeepingTheKeys() throws Exception {
    ok("keyspace", "create", "ranged", "--partitioning", "range");
    ok("put", "ranged", "apple", "1");
    ok("put", "ranged", "zebra", "2");
    long shard = json("keyspace", "describe", "ranged", "-w", "json").at("/shards/0/id").asLong();

    JsonNode split = json("shard", "split", String.valueOf(shard), "--at", "6d", "-w", "json");
    assertThat(split.at("/left/end").asText()).isEqualTo("6d");
    assertThat(split.at("/right/start").asText()).isEqualTo("6d");
    assertThat(json("keyspace", "describe", "ranged", "-w", "json").path("shards")).hasSize(2);
    assertThat(ok("get", "ranged", "zebra").out()).isEqualTo("2\n");

    // The new right shard elects its leader after the split returns; merge needs both leaders.
    Awaitility.await("both halves led")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              JsonNode shards = json("keyspace", "describe", "ranged", "-w", "json").path("shards");
              return shards.size() == 2
                  && !shards.get(0).path("leader").asText().isEmpty()
                  && !shards.get(1).path("leader").asText().isEmpty();
            });
    String left = split.at("/left/id").asText();
    String right = split.at("/right/id").asText();
    assertThat(ok("shard", "merge", left, right).out()).contains("merged into " + left);
    assertThat(json("keyspace", "describe", "ranged", "-w", "json").path("shards")).hasSize(1);
    assertThat(ok("get", "ranged", "apple").out()).isEqualTo("1\n");
    assertThat(ok("get", "ranged", "zebra").out()).isEqualTo("2\n");
  }

  @Test
  void scanListsARangeKeyspaceInKeyOrder() throws Exception {
    ok("keyspace", "create", "fruit", "--partitioning", "range");
    for (String key : List.of("pear", "apple", "fig", "plum", "banana")) {
      ok("put", "fruit", key, key.toUpperCase(Locale.ROOT));
    }
    ok("put", "fruit", "fig", "FIG2"); // version 2

    assertThat(ok("scan", "fruit").out())
        .isEqualTo("apple APPLE\nbanana BANANA\nfig FIG2\npear PEAR\nplum PLUM\n");
    // START inclusive, END exclusive.
    assertThat(ok("scan", "fruit", "banana", "pear", "--keys-only").out())
        .isEqualTo("banana\nfig\n");
    assertThat(ok("scan", "fruit", "p", "--prefix").out()).isEqualTo("pear PEAR\nplum PLUM\n");
    assertThat(ok("scan", "fruit", "--limit", "2", "--stale", "--keys-only").out())
        .isEqualTo("apple\nbanana\n");
    assertThat(ok("scan", "fruit", "pea", "-w", "table").out())
        .contains("| KEY  | VALUE | VERSION |")
        .contains("| pear | PEAR  | 1       |");

    JsonNode figs = json("scan", "fruit", "fig", "--prefix", "-w", "json");
    assertThat(figs).hasSize(1);
    assertThat(figs.get(0).path("key").asText()).isEqualTo("fig");
    assertThat(figs.get(0).path("value").asText()).isEqualTo("FIG2");
    assertThat(figs.get(0).path("version").asLong()).isEqualTo(2);

    // Nothing in range: success, and nothing printed.
    assertThat(ok("scan", "fruit", "x", "--prefix").out()).isEmpty();
    assertThat(json("scan", "fruit", "x", "--prefix", "-w", "json")).isEmpty();

    // demo is hash-partitioned: its keys have no order to scan.
    assertFailure(cleave("scan", "demo"), "hash-partitioned");
    assertFailure(cleave("scan", "demo"), "(FAILED_PRECONDITION)");
  }

  @Test
  void keyspaceDeleteRemovesIt() {
    ok("keyspace", "create", "scratch");
    assertThat(ok("keyspace", "delete", "scratch").out()).isEqualTo("keyspace 'scratch' deleted\n");
    Awaitility.await("scratch gone")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> !ok("keyspace", "list").out().contains("scratch"));
  }

  @Test
  void failuresExitNonZeroWithOneClearLine() {
    assertFailure(cleave("get", "demo", "no-such-key"), "Error: key not found: 'no-such-key'");
    assertFailure(
        cleave("keyspace", "describe", "nope"),
        "Error: keyspace 'nope' does not exist (NOT_FOUND)");
    assertFailure(cleave("put", "nope", "k", "v"), "Error: keyspace 'nope' ");
    assertFailure(cleave("put", "nope", "k", "v"), "(NOT_FOUND)");
    assertFailure(cleave("keyspace", "create", "demo"), "(ALREADY_EXISTS)");
    assertThat(ok("del", "demo", "no-such-key").out()).isEqualTo("0\n");
  }

  private static void assertFailure(CliRun run, String expected) {
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(CleaveCli.EXIT_FAILURE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains(expected).doesNotContain("\tat ");
    assertThat(run.err().strip().lines()).hasSize(1);
  }
}
