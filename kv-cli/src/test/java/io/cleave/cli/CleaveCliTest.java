package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.server.config.NodeAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Argument parsing and failure reporting, without a cluster. */
class CleaveCliTest {

  private static CommandLine parse(String... args) {
    CommandLine cli =
        CleaveCli.commandLine(
            new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    cli.parseArgs(args);
    return cli;
  }

  /** The command object of sub-command {@code path} after parsing {@code args}. */
  private static <T> T parsed(List<String> path, String... args) {
    CommandLine cli = parse(args);
    for (String name : path) {
      cli = cli.getSubcommands().get(name);
    }
    return cli.getCommand();
  }

  @Test
  void globalOptionsMayComeBeforeOrAfterTheSubCommand() {
    for (String[] args :
        List.of(
            new String[] {
              "-w", "json", "--endpoints", "a:1,b:2", "--timeout", "500ms", "get", "ks", "k"
            },
            new String[] {
              "get", "ks", "k", "-w", "json", "--endpoints", "a:1,b:2", "--timeout", "500ms"
            },
            new String[] {
              "keyspace",
              "describe",
              "ks",
              "--write-out=JSON",
              "--endpoints=a:1,b:2",
              "--timeout=500ms"
            })) {
      CleaveCli root = parse(args).getCommand();
      assertThat(root.format()).isEqualTo(OutputFormat.json);
      assertThat(root.endpoints).containsExactly("a:1", "b:2");
      assertThat(root.timeout).isEqualTo(Duration.ofMillis(500));
    }
  }

  @Test
  void defaultsMatchTheDevCluster() {
    CleaveCli root = parse("status").getCommand();
    assertThat(String.join(",", root.endpoints)).isEqualTo(CleaveCli.DEFAULT_ENDPOINTS);
    assertThat(root.format()).isEqualTo(OutputFormat.simple);
    assertThat(root.timeout).isEqualTo(Duration.ofSeconds(15));
    List<String> devEndpoints =
        DevCluster.addresses(3, 7001, 7101).stream().map(NodeAddress::clientAddress).toList();
    assertThat(String.join(",", devEndpoints)).isEqualTo(CleaveCli.DEFAULT_ENDPOINTS);
  }

  @Test
  void devPortLayoutIsConsecutiveFromTheBasePorts() {
    assertThat(DevCluster.addresses(3, 7001, 7101))
        .containsExactly(
            new NodeAddress("n1", "127.0.0.1", 7101, 7001),
            new NodeAddress("n2", "127.0.0.1", 7102, 7002),
            new NodeAddress("n3", "127.0.0.1", 7103, 7003));
    DevCommand dev = parsed(List.of("dev"), "dev", "--data-dir", "x", "--base-port", "9000");
    assertThat(dev.addresses().get(0).raftPort()).isEqualTo(9100);
  }

  @Test
  void keyspaceCreateOptionsReachTheRequest() {
    KeyspaceCreateCommand create =
        parsed(
            List.of("keyspace", "create"),
            "keyspace",
            "create",
            "users",
            "--type",
            "counter",
            "--shards",
            "8",
            "--replicas",
            "2",
            "--partitioning",
            "range",
            "--max-shards",
            "64",
            "--min-shards",
            "2",
            "--max-keys-per-shard",
            "1000",
            "--max-size-per-shard",
            "64MiB",
            "--max-load-per-shard",
            "500",
            "--merge-ratio",
            "0.4");
    assertThat(create.name).isEqualTo("users");
    assertThat(create.options().toString())
        .contains("value_type: \"counter\"")
        .contains("partitioning: RANGE")
        .contains("initial_shards: 8")
        .contains("replication_factor: 2")
        .contains("max_shards: 64")
        .contains("min_shards: 2")
        .contains("max_keys_per_shard: 1000")
        .contains("max_size_per_shard: " + (64L << 20))
        .contains("max_load_per_shard: 500")
        .contains("merge_threshold_ratio: 0.4");
  }

  @Test
  void shardSplitPointIsHex() {
    ShardSplitCommand split =
        parsed(List.of("shard", "split"), "shard", "split", "12", "--at", "0x6d00");
    assertThat(split.shardId).isEqualTo(12);
    assertThat(split.splitAt().toByteArray()).containsExactly(0x6d, 0x00);
  }

  @Test
  void usageErrorsExitTwoWithTheReason() {
    CliRun missing = CliRun.of("get", "demo");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required parameter: 'KEY'");

    CliRun badFormat = CliRun.of("-w", "yaml", "status");
    assertThat(badFormat.exitCode()).isEqualTo(2);
    assertThat(badFormat.err()).contains("yaml").contains("simple, table, json");

    CliRun badTimeout = CliRun.of("--timeout", "soon", "status");
    assertThat(badTimeout.exitCode()).isEqualTo(2);
    assertThat(badTimeout.err()).contains("expected a duration");

    assertThat(CliRun.of().exitCode()).isEqualTo(2);
    assertThat(CliRun.of("frobnicate").exitCode()).isEqualTo(2);
  }

  @Test
  void helpAndVersionExitZero() {
    CliRun help = CliRun.of("keyspace", "create", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("--max-size-per-shard").contains("--partitioning");
    assertThat(CliRun.of("--version").out()).startsWith("cleave ");
  }

  @Test
  void invalidValuesFailBeforeAnyCallWithOneLine() {
    assertOneLineError(
        CliRun.of("keyspace", "create", "x", "--merge-ratio", "2"), "mergeThresholdRatio");
    assertOneLineError(CliRun.of("shard", "split", "1", "--at", "xyz"), "--at must be");
    assertOneLineError(
        CliRun.of("dev", "--data-dir", "unused", "--nodes", "0"), "--nodes must be 1-9");
  }

  @Test
  void unreachableClusterIsOneLineWithTheStatusCode() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    CliRun run = CliRun.of("--endpoints", "127.0.0.1:" + closedPort, "--timeout", "2s", "status");
    // Refused at once (UNAVAILABLE), or, on a loaded machine, out of time first.
    assertOneLineError(run, "Error: ");
    assertThat(run.err())
        .containsAnyOf("(UNAVAILABLE)", "(DEADLINE_EXCEEDED)")
        .contains("cleave dev");
  }

  private static void assertOneLineError(CliRun run, String expected) {
    assertThat(run.exitCode()).isEqualTo(CleaveCli.EXIT_FAILURE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).startsWith("Error: ").contains(expected);
    assertThat(run.err().strip().lines()).hasSize(1);
  }
}
