package io.cleave.testing.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.CleaveException;
import io.cleave.client.GetResult;
import io.cleave.client.InvalidArgumentException;
import io.cleave.client.KeyspaceOptions;
import io.cleave.client.TypedKeyspace;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.testing.MiniCluster;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A user value type deployed the way operators deploy one: the example {@code zset} jar in a plugin
 * directory given to every node, not on the classpath. Commands and queries go through the client's
 * typed handle; replicas must hold the same bytes; bad input is refused without a change.
 *
 * <p>The jar comes from maven-dependency-plugin ({@code target/plugins}, system property {@code
 * cleave.it.pluginDir}) and is copied into a fresh directory for the cluster.
 */
class PluginTypeIT {
  private static final String TYPE = "zset";
  private static final String KEYSPACE = "leaderboard";

  private static Path pluginDir;
  private static ExampleTypeJar zset;
  private static MiniCluster cluster;
  private static CleaveClient client;
  private static TypedKeyspace<Object, Object, Object, Object> board;
  private static long shardId;

  @BeforeAll
  static void deployPluginAndStartCluster() throws IOException {
    Path built = Path.of(System.getProperty("cleave.it.pluginDir", "target/plugins"));
    List<Path> jars = ExampleTypeJar.jars(built);
    assertThat(jars)
        .as("kv-example-type jar in %s (run through Maven: dependency:copy fills it)", built)
        .anyMatch(p -> p.getFileName().toString().startsWith("kv-example-type"));
    pluginDir = Files.createTempDirectory("cleave-plugins");
    for (Path jar : jars) {
      Files.copy(jar, pluginDir.resolve(jar.getFileName()));
    }
    zset = ExampleTypeJar.load(pluginDir, TYPE);

    cluster = MiniCluster.start(3, config -> config.withPluginDir(Optional.of(pluginDir)));
    client = cluster.client();
    shardId =
        client
            .blocking()
            .admin()
            .registerKeyspace(
                KEYSPACE, KeyspaceOptions.builder().valueType(TYPE).initialShards(1).build())
            .getShards(0)
            .getShardId();
    board = client.keyspace(KEYSPACE, zset.type());
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
    if (zset != null) {
      zset.close();
    }
  }

  @Test
  void theTypeIsNotOnTheTestClasspath() {
    assertThatThrownBy(() -> Class.forName(ExampleTypeJar.PACKAGE + "SortedSetType"))
        .as("only the plugin directory may supply the type")
        .isInstanceOf(ClassNotFoundException.class);
    assertThat(zset.type().getClass().getClassLoader())
        .isNotSameAs(PluginTypeIT.class.getClassLoader());
  }

  @Test
  void commandsAndQueriesRunThroughTheTypedHandle() {
    Bytes key = Bytes.utf8("game-1");
    var blocking = board.blocking();
    Object added =
        blocking.command(
            key,
            zset.command(
                "add",
                zset.addMode("ALWAYS"),
                List.of(zset.entry("ann", 10), zset.entry("bob", 30), zset.entry("cy", 20))));
    assertThat(ExampleTypeJar.asLong(added)).isEqualTo(3);
    assertThat(ExampleTypeJar.asLong(blocking.command(key, zset.command("incrBy", "ann", 25L))))
        .isEqualTo(35);
    Object higher =
        blocking.command(
            key,
            zset.command(
                "add",
                zset.addMode("IF_HIGHER"),
                List.of(zset.entry("bob", 5), zset.entry("dee", 1))));
    assertThat(ExampleTypeJar.asLong(higher)).as("dee added, bob kept").isEqualTo(1);

    assertThat(ExampleTypeJar.entries(blocking.query(key, zset.query("reverseRange", 0, 3)).get()))
        .containsExactly("ann=35", "bob=30", "cy=20");
    assertThat(ExampleTypeJar.asLong(blocking.query(key, zset.query("rank", "cy")).get()))
        .isEqualTo(1);
    assertThat(ExampleTypeJar.asLong(blocking.query(key, zset.query("score", "bob")).get()))
        .isEqualTo(30);
    assertThat(ExampleTypeJar.isAbsent(blocking.query(key, zset.query("score", "zed")).get()))
        .isTrue();
    assertThat(
            ExampleTypeJar.entries(
                blocking.query(key, zset.query("rangeByScore", 15L, 31L, 10)).get()))
        .containsExactly("cy=20", "bob=30");
    assertThat(ExampleTypeJar.entries(blocking.get(key).get()))
        .containsExactly("dee=1", "cy=20", "bob=30", "ann=35");
    assertThat(blocking.query(Bytes.utf8("no-such-game"), zset.query("card"))).isEmpty();

    assertThat(
            ExampleTypeJar.asLong(
                blocking.command(key, zset.command("remove", List.of("ann", "bob", "cy", "dee")))))
        .isEqualTo(4);
    assertThat(blocking.get(key)).as("an emptied set is deleted").isEmpty();
  }

  @Test
  void everyReplicaHoldsTheSameValueAndAnotherLeaderAnswersTheSame() {
    Bytes key = Bytes.utf8("game-2");
    var blocking = board.blocking();
    for (int i = 0; i < 20; i++) {
      blocking.command(key, zset.command("incrBy", "p" + (i % 7), (long) i * 3));
    }
    byte[] value = client.blocking().get(KEYSPACE, key).value().toByteArray();
    Object top = blocking.query(key, zset.query("reverseRange", 0, 3)).get();

    // Each replica ran every command itself: equal bytes everywhere is determinism at work.
    ShardQuery get =
        ShardQuery.newBuilder()
            .setKind(ShardQuery.Kind.GET)
            .addKeys(ByteString.copyFrom(key.toByteArray()))
            .build();
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              List<ByteString> copies = new ArrayList<>();
              for (int node = 0; node < cluster.size(); node++) {
                copies.add(
                    cluster
                        .server(node)
                        .node()
                        .localReplica(shardId)
                        .orElseThrow()
                        .answer(get)
                        .getResults()
                        .getResults(0)
                        .getPayload());
              }
              assertThat(copies).containsOnly(ByteString.copyFrom(value));
            });

    int leader = cluster.leaderOf(shardId);
    assertThat(leader).isNotNegative();
    cluster.stopNode(leader);
    try {
      Object afterFailover = blocking.query(key, zset.query("reverseRange", 0, 3)).get();
      assertThat(ExampleTypeJar.entries(afterFailover)).isEqualTo(ExampleTypeJar.entries(top));
      assertThat(cluster.leaderOf(shardId)).isNotEqualTo(leader);
    } finally {
      cluster.startNode(leader);
      cluster.awaitNodesAlive();
    }
  }

  @Test
  void malformedCommandIsInvalidArgumentAndChangesNothing() {
    Bytes key = Bytes.utf8("game-3");
    board.blocking().command(key, zset.command("add", "ann", 10L));
    GetResult before = client.blocking().get(KEYSPACE, key);

    // Refused before proposal: the codec cannot decode these bytes.
    for (byte[] bad : List.of(new byte[] {0x09}, new byte[] {0x03, 0x01, 'a'}, new byte[0])) {
      assertThatThrownBy(() -> client.blocking().command(KEYSPACE, key, Bytes.of(bad)))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class,
              e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
    // Refused by the type while applying on every replica: the score would overflow.
    assertThatThrownBy(
            () -> board.blocking().command(key, zset.command("incrBy", "ann", Long.MAX_VALUE)))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("overflow");

    GetResult after = client.blocking().get(KEYSPACE, key);
    assertThat(after.value()).isEqualTo(before.value());
    assertThat(after.version()).isEqualTo(before.version());
    assertThat(ExampleTypeJar.asLong(board.blocking().query(key, zset.query("score", "ann")).get()))
        .isEqualTo(10);
  }

  @Test
  void unknownTypeIsInvalidArgumentNamingTheKnownTypes() {
    assertThatThrownBy(
            () ->
                client
                    .blocking()
                    .admin()
                    .registerKeyspace(
                        "mystery", KeyspaceOptions.builder().valueType("no-such-type").build()))
        .isInstanceOfSatisfying(
            CleaveException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining("no-such-type")
        .hasMessageContaining(TYPE)
        .hasMessageContaining("bytes")
        .hasMessageContaining("counter");
  }
}
