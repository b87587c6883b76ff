package io.cleave.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeConfigTest {
  private static final NodeAddress N1 = new NodeAddress("n1", "h1", 7101, 7001);
  private static final NodeAddress N2 = new NodeAddress("n2", "h2", 7101, 7001);
  private static final NodeAddress N3 = new NodeAddress("n3", "h3", 7101, 7001);
  private static final NodeAddress N4 = new NodeAddress("n4", "h4", 7101, 7001);
  private static final Path DATA = Path.of("data");

  /**
   * The defaults with one field changed: {maxValueBytes, electionMillis, snapshot, meta, segment}.
   */
  private static NodeConfig with(
      int maxValueBytes, long electionMillis, long snapshot, int metaReplicas, long segment) {
    return new NodeConfig(
        N1,
        List.of(N1),
        DATA,
        Optional.empty(),
        maxValueBytes,
        Duration.ofMillis(electionMillis),
        snapshot,
        1_000,
        Duration.ofMillis(500),
        1024,
        metaReplicas,
        segment);
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    NodeConfig config = NodeConfig.defaults(N1, List.of(N1, N2, N3), DATA);

    assertThat(config.maxValueBytes()).isEqualTo(1024 * 1024);
    assertThat(config.electionTimeoutMin()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.snapshotThreshold()).isEqualTo(10_000);
    assertThat(config.logPreservedEntries()).isEqualTo(1_000);
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.blockCacheBytes()).isEqualTo(64L * 1024 * 1024);
    assertThat(config.metaReplicas()).isEqualTo(3);
    assertThat(config.logSegmentBytes()).isEqualTo(8L * 1024 * 1024);
    assertThat(config.pluginDir()).isEmpty();
  }

  @Test
  void acceptsTheBoundaries() {
    assertThat(with(1, 100, 1, 1, 16 * 1024).maxValueBytes()).isEqualTo(1);
    assertThat(with(64 * 1024 * 1024, 100, 1, 5, 16 * 1024).metaReplicas()).isEqualTo(5);
  }

  @Test
  void refusesValueLimitsOutsideOneByteTo64MiB() {
    assertThatThrownBy(() -> with(0, 1000, 10, 3, 1 << 20))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max value bytes must be 1 B - 64 MiB: 0");
    assertThatThrownBy(() -> with(64 * 1024 * 1024 + 1, 1000, 10, 3, 1 << 20))
        .hasMessageContaining("max value bytes must be 1 B - 64 MiB");
  }

  @Test
  void refusesElectionTimeoutsBelow100Ms() {
    assertThatThrownBy(() -> with(1024, 99, 10, 3, 1 << 20))
        .hasMessage("election timeout below 100 ms: PT0.099S");
  }

  @Test
  void refusesANonPositiveSnapshotThreshold() {
    assertThatThrownBy(() -> with(1024, 1000, 0, 3, 1 << 20))
        .hasMessage("snapshot threshold must be positive");
  }

  @Test
  void refusesMetaReplicaCountsOtherThanOneThreeOrFive() {
    for (int bad : new int[] {0, 2, 4, 6}) {
      assertThatThrownBy(() -> with(1024, 1000, 10, bad, 1 << 20))
          .hasMessage("meta replicas must be 1, 3 or 5: " + bad);
    }
  }

  @Test
  void refusesTinyLogSegments() {
    assertThatThrownBy(() -> with(1024, 1000, 10, 3, 16 * 1024 - 1))
        .hasMessage("log segments below 16 KiB: 16383");
  }

  @Test
  void refusesDuplicateNodeIdsInTheInitialCluster() {
    NodeAddress n1Elsewhere = new NodeAddress("n1", "other", 1, 2);

    assertThatThrownBy(() -> NodeConfig.defaults(N1, List.of(N1, N2, n1Elsewhere), DATA))
        .hasMessage("duplicate node id in the initial cluster");
  }

  @Test
  void metaMembersAreTheFirstNodesOfTheInitialCluster() {
    NodeConfig three = NodeConfig.defaults(N1, List.of(N1, N2, N3, N4), DATA);
    NodeConfig fewer = NodeConfig.defaults(N1, List.of(N2, N1), DATA);

    assertThat(three.metaMembers()).containsExactly(N1, N2, N3);
    assertThat(fewer.metaMembers()).containsExactly(N2, N1);
  }

  @Test
  void theInitialClusterIsCopied() {
    List<NodeAddress> cluster = new ArrayList<>(List.of(N1, N2));
    NodeConfig config = NodeConfig.defaults(N1, cluster, DATA);

    cluster.add(N3);

    assertThat(config.initialCluster()).containsExactly(N1, N2);
  }

  @Test
  void withersChangeOnlyTheirField() {
    NodeConfig base = NodeConfig.defaults(N1, List.of(N1), DATA);

    assertThat(base.withLogSegmentBytes(1 << 20))
        .isEqualTo(
            new NodeConfig(
                N1,
                List.of(N1),
                DATA,
                Optional.empty(),
                base.maxValueBytes(),
                base.electionTimeoutMin(),
                base.snapshotThreshold(),
                base.logPreservedEntries(),
                base.heartbeatInterval(),
                base.blockCacheBytes(),
                base.metaReplicas(),
                1 << 20));
    assertThat(base.withSnapshotThreshold(5, 2).snapshotThreshold()).isEqualTo(5);
    assertThat(base.withSnapshotThreshold(5, 2).logPreservedEntries()).isEqualTo(2);
    assertThat(base.withPluginDir(Optional.of(Path.of("p"))).pluginDir()).contains(Path.of("p"));
    assertThat(base.withMaxValueBytes(7).maxValueBytes()).isEqualTo(7);
    assertThatThrownBy(() -> base.withMaxValueBytes(0)).hasMessageContaining("max value bytes");
  }
}
