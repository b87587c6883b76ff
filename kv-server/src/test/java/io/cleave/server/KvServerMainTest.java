package io.cleave.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cleave.server.config.NodeAddress;
import io.cleave.server.config.NodeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class KvServerMainTest {
  private static NodeConfig parse(String... args) {
    KvServerMain main = new KvServerMain();
    new CommandLine(main).parseArgs(args);
    return main.config();
  }

  private static String cluster(int nodes) {
    return IntStream.rangeClosed(1, nodes)
        .mapToObj(i -> "n" + i + "=10.0.0." + i + ":7101:7001")
        .collect(Collectors.joining(","));
  }

  @Test
  void withoutOptionsTheNodeIsAClusterOfOne() {
    NodeConfig config = parse();

    NodeAddress self = new NodeAddress("n1", "127.0.0.1", 7101, 7001);
    assertThat(config.self()).isEqualTo(self);
    assertThat(config.initialCluster()).containsExactly(self);
    assertThat(config.metaReplicas()).isEqualTo(1);
    assertThat(config.dataDir()).isEqualTo(Path.of("data"));
    assertThat(config.pluginDir()).isEmpty();
    assertThat(config.maxValueBytes()).isEqualTo(1_048_576);
    assertThat(config.electionTimeoutMin()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.snapshotThreshold()).isEqualTo(10_000);
    assertThat(config.listenHost()).isEqualTo("127.0.0.1");
  }

  @Test
  void aListenHostIsWhereTheNodeBindsWhileItStillAdvertisesItsHost() {
    NodeConfig config = parse("--host=cleave-0.cleave.default.svc", "--listen-host=0.0.0.0");

    assertThat(config.listenHost()).isEqualTo("0.0.0.0");
    assertThat(config.self().host()).isEqualTo("cleave-0.cleave.default.svc");
    assertThat(config.initialCluster())
        .extracting(NodeAddress::host)
        .containsExactly("cleave-0.cleave.default.svc");
    // Without --listen-host the node binds to the address it advertises, as before.
    assertThat(parse("--host=10.0.0.2").listenHost()).isEqualTo("10.0.0.2");
  }

  @Test
  void optionsReachTheConfig() {
    NodeConfig config =
        parse(
            "--node-id=n2",
            "--host=10.0.0.2",
            "--raft-port=8101",
            "--client-port=8001",
            "--initial-cluster=" + cluster(3),
            "--data-dir=/var/lib/cleave",
            "--plugin-dir=/opt/cleave/plugins",
            "--max-value-bytes=4096",
            "--election-timeout-ms=250",
            "--snapshot-threshold=500");

    assertThat(config.self()).isEqualTo(new NodeAddress("n2", "10.0.0.2", 8101, 8001));
    assertThat(config.initialCluster())
        .extracting(NodeAddress::nodeId)
        .containsExactly("n1", "n2", "n3");
    assertThat(config.initialCluster().get(2))
        .isEqualTo(NodeAddress.parse("n3=10.0.0.3:7101:7001"));
    assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/cleave"));
    assertThat(config.pluginDir()).contains(Path.of("/opt/cleave/plugins"));
    assertThat(config.maxValueBytes()).isEqualTo(4096);
    assertThat(config.electionTimeoutMin()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.snapshotThreshold()).isEqualTo(500);
    assertThat(config.logPreservedEntries()).isEqualTo(1_000);
  }

  @ParameterizedTest
  @CsvSource({"1, 1", "2, 1", "3, 3", "4, 3", "5, 3"})
  void metaReplicasFollowTheInitialClusterSize(int nodes, int metaReplicas) {
    NodeConfig config = parse("--initial-cluster=" + cluster(nodes));

    assertThat(config.metaReplicas()).isEqualTo(metaReplicas);
    assertThat(config.metaMembers()).hasSize(metaReplicas);
    assertThat(config.metaMembers().get(0).nodeId()).isEqualTo("n1");
  }

  @Test
  void aBadInitialClusterFailsWithTheOffendingEntry() {
    assertThatThrownBy(() -> parse("--initial-cluster=n1=h:1:2,n2=h:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'n2=h:1'");
    assertThatThrownBy(() -> parse("--initial-cluster=n1=h:1:2,n1=g:1:2"))
        .hasMessageContaining("duplicate node id");
  }

  @Test
  void invalidValuesAreRefusedByTheConfig() {
    assertThatThrownBy(() -> parse("--election-timeout-ms=50"))
        .hasMessageContaining("election timeout below 100 ms");
    assertThatThrownBy(() -> parse("--node-id=bad id")).hasMessageContaining("node id must be");
  }

  @Test
  void nonNumericOptionsAreAParseError() {
    assertThatThrownBy(() -> parse("--raft-port=abc"))
        .isInstanceOf(CommandLine.ParameterException.class);
  }
}
