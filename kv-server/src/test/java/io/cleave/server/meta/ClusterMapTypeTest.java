package io.cleave.server.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.MetaCommand;
import io.cleave.internal.v1.MetaResult;
import io.cleave.internal.v1.RegisterKeyspace;
import io.cleave.internal.v1.ReplaceShards;
import io.cleave.internal.v1.SetLeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterMapTypeTest {
  private static final long NOW = 1_700_000_000_000L;
  private final ClusterMapType type = new ClusterMapType();

  // ------------------------------------------------------------------ helpers

  private CommandOutcome<ClusterMap, MetaResult> run(ClusterMap map, MetaCommand command) {
    return type.command(map, 0, "map".getBytes(StandardCharsets.UTF_8), command, context());
  }

  private static CommandContext context() {
    return new CommandContext(NOW, 42);
  }

  /** Applies {@code command}, expecting success; returns the new map. */
  private ClusterMap ok(ClusterMap map, MetaCommand command) {
    CommandOutcome<ClusterMap, MetaResult> outcome = run(map, command);
    assertThat(outcome.result().getOk()).as("refused: %s", outcome.result().getError()).isTrue();
    assertThat(outcome.result().getMap()).isEqualTo(outcome.nextValue());
    assertThat(outcome.nextSize()).isEqualTo(outcome.nextValue().getSerializedSize());
    return outcome.nextValue();
  }

  /** Applies {@code command}, expecting a refusal that leaves the map as it was. */
  private String refused(ClusterMap map, MetaCommand command) {
    CommandOutcome<ClusterMap, MetaResult> outcome = run(map, command);
    assertThat(outcome.result().getOk()).isFalse();
    assertThat(outcome.nextValue()).isEqualTo(map == null ? emptyMap() : map);
    assertThat(outcome.result().getMap()).isEqualTo(outcome.nextValue());
    return outcome.result().getError();
  }

  private static ClusterMap emptyMap() {
    return ClusterMap.newBuilder().setNextShardId(1).setNextKeyspaceId(1).build();
  }

  private static ShardDescriptor shard(
      long id, int keyspace, String start, String end, long epoch) {
    return ShardDescriptor.newBuilder()
        .setShardId(id)
        .setKeyspaceId(keyspace)
        .setStart(ByteString.copyFromUtf8(start))
        .setEnd(ByteString.copyFromUtf8(end))
        .setEpoch(epoch)
        .addReplicas(Replica.newBuilder().setNodeId("n1"))
        .addReplicas(Replica.newBuilder().setNodeId("n2"))
        .build();
  }

  private static MetaCommand register(int keyspaceId, String name, ShardDescriptor... shards) {
    return MetaCommand.newBuilder()
        .setRegisterKeyspace(
            RegisterKeyspace.newBuilder()
                .setKeyspace(
                    KeyspaceDescriptor.newBuilder()
                        .setId(keyspaceId)
                        .setName(name)
                        .setValueType("bytes")
                        .setPartitioning(Partitioning.RANGE)
                        .setReplicationFactor(2))
                .addAllShards(List.of(shards)))
        .build();
  }

  private static MetaCommand replace(List<ShardDescriptor> remove, List<ShardDescriptor> add) {
    return MetaCommand.newBuilder()
        .setReplaceShards(ReplaceShards.newBuilder().addAllRemove(remove).addAllAdd(add))
        .build();
  }

  private static MetaCommand deregister(int id) {
    return MetaCommand.newBuilder().setDeregisterKeyspaceId(id).build();
  }

  private static MetaCommand forget(int id) {
    return MetaCommand.newBuilder().setForgetKeyspaceId(id).build();
  }

  private static NodeDescriptor node(String id, String address) {
    return NodeDescriptor.newBuilder()
        .setNodeId(id)
        .setClientAddress(address)
        .setRaftAddress(address + "1")
        .setAlive(true)
        .build();
  }

  /** A map with keyspace 1 "users" cut at "m" into shards 1 and 2, both at epoch 1. */
  private ClusterMap withUsers() {
    return ok(null, register(1, "users", shard(1, 1, "", "m", 1), shard(2, 1, "m", "", 1)));
  }

  // ------------------------------------------------------------------ nodes

  @Test
  void upsertNodeAddsThenReplacesByIdAndBumpsTheVersion() {
    ClusterMap one = ok(null, MetaCommand.newBuilder().setUpsertNode(node("n1", "a:1")).build());
    ClusterMap two = ok(one, MetaCommand.newBuilder().setUpsertNode(node("n2", "b:1")).build());
    ClusterMap moved = ok(two, MetaCommand.newBuilder().setUpsertNode(node("n1", "c:1")).build());

    assertThat(one.getVersion()).isEqualTo(1);
    assertThat(two.getVersion()).isEqualTo(2);
    assertThat(moved.getVersion()).isEqualTo(3);
    assertThat(moved.getNodesList())
        .extracting(NodeDescriptor::getNodeId, NodeDescriptor::getClientAddress)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("n1", "c:1"),
            org.assertj.core.groups.Tuple.tuple("n2", "b:1"));
  }

  @Test
  void anEmptyCommandIsRefused() {
    assertThat(refused(null, MetaCommand.getDefaultInstance())).contains("empty");
  }

  // ------------------------------------------------------------------ keyspaces

  @Test
  void registerKeyspaceAddsItsShardsAndAdvancesTheIds() {
    ClusterMap map = withUsers();

    assertThat(map.getKeyspacesList())
        .extracting(KeyspaceDescriptor::getName)
        .containsExactly("users");
    assertThat(map.getShardsList()).extracting(ShardDescriptor::getShardId).containsExactly(1L, 2L);
    assertThat(map.getNextKeyspaceId()).isEqualTo(2);
    assertThat(map.getNextShardId()).isEqualTo(3);
  }

  @Test
  void registerKeyspaceRefusesADuplicateName() {
    ClusterMap map = withUsers();

    assertThat(refused(map, register(2, "users", shard(3, 2, "", "", 1))))
        .contains("already exists");
  }

  @Test
  void registerKeyspaceRefusesStaleIds() {
    ClusterMap map = withUsers();

    // Proposed from an older map: keyspace id 1 and shard id 2 are taken meanwhile.
    assertThat(refused(map, register(1, "orders", shard(3, 1, "", "", 1)))).contains("stale");
    assertThat(refused(map, register(2, "orders", shard(2, 2, "", "", 1)))).contains("stale");
    // An id from the future is stale too: the proposer must use next_keyspace_id.
    assertThat(refused(map, register(5, "orders", shard(3, 5, "", "", 1)))).contains("stale");
    ok(map, register(2, "orders", shard(3, 2, "", "", 1)));
  }

  @Test
  void aDeletedKeyspaceKeepsItsNameUntilForgotten() {
    ClusterMap deleting = ok(withUsers(), deregister(1));

    assertThat(deleting.getKeyspaces(0).getDeleting()).isTrue();
    assertThat(deleting.getShardsCount())
        .as("shards stay until the replicas are gone")
        .isEqualTo(2);
    assertThat(refused(deleting, register(2, "users", shard(3, 2, "", "", 1))))
        .contains("already exists");

    ClusterMap forgotten = ok(deleting, forget(1));

    assertThat(forgotten.getKeyspacesList()).isEmpty();
    assertThat(forgotten.getShardsList()).isEmpty();
    assertThat(forgotten.getNextKeyspaceId()).as("ids are never reused").isEqualTo(2);
    assertThat(forgotten.getNextShardId()).isEqualTo(3);
  }

  @Test
  void deregisterOfAnUnknownIdIsRefused() {
    assertThat(refused(withUsers(), deregister(9))).contains("does not exist");
  }

  @Test
  void lateCommandsForAnOldIdDoNotTouchAKeyspaceRecreatedUnderTheSameName() {
    ClusterMap gone = ok(ok(withUsers(), deregister(1)), forget(1));
    ClusterMap recreated = ok(gone, register(2, "users", shard(3, 2, "", "", 1)));

    ClusterMap afterLateForget = ok(recreated, forget(1));
    String lateDeregister = refused(recreated, deregister(1));

    assertThat(afterLateForget.getKeyspacesList())
        .extracting(KeyspaceDescriptor::getId, KeyspaceDescriptor::getDeleting)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2, false));
    assertThat(afterLateForget.getShardsList()).isEqualTo(recreated.getShardsList());
    assertThat(lateDeregister).contains("does not exist");
  }

  @Test
  void forgetRemovesOnlyThatKeyspacesShards() {
    ClusterMap map = ok(withUsers(), register(2, "orders", shard(3, 2, "", "", 1)));

    ClusterMap forgotten = ok(ok(map, deregister(1)), forget(1));

    assertThat(forgotten.getKeyspacesList())
        .extracting(KeyspaceDescriptor::getName)
        .containsExactly("orders");
    assertThat(forgotten.getShardsList())
        .extracting(ShardDescriptor::getShardId)
        .containsExactly(3L);
  }

  // ------------------------------------------------------------------ shards

  @Test
  void replaceShardsRecordsASplitWithoutTombstoningTheParentId() {
    ClusterMap map = ok(withUsers(), MetaCommand.newBuilder().setReserveShardIds(1).build());
    ShardDescriptor left = shard(2, 1, "m", "t", 2);
    ShardDescriptor child = shard(3, 1, "t", "", 2);

    ClusterMap split = ok(map, replace(List.of(shard(2, 1, "m", "", 1)), List.of(left, child)));

    assertThat(split.getShardsList())
        .containsExactlyInAnyOrder(shard(1, 1, "", "m", 1), left, child);
    assertThat(split.getRetiredShardIdsList()).isEmpty();
    assertThat(split.getLastChangeMillisMap()).containsEntry(2L, NOW).containsEntry(3L, NOW);
    assertThat(split.getNextShardId()).isEqualTo(4);
  }

  @Test
  void replaceShardsRecordsAMergeAndTombstonesTheAbsorbedShard() {
    ClusterMap map = withUsers();
    ShardDescriptor merged = shard(1, 1, "", "", 2);

    ClusterMap after =
        ok(
            map,
            replace(List.of(shard(1, 1, "", "m", 1), shard(2, 1, "m", "", 1)), List.of(merged)));

    assertThat(after.getShardsList()).containsExactly(merged);
    assertThat(after.getRetiredShardIdsList()).containsExactly(2L);
    assertThat(after.getLastChangeMillisMap()).containsOnlyKeys(1L);
  }

  @Test
  void replaceShardsRefusesARemovalAtAnOlderEpochThanTheMapHolds() {
    ClusterMap map =
        ok(
            withUsers(),
            replace(List.of(shard(2, 1, "m", "", 1)), List.of(shard(2, 1, "m", "", 3))));

    String error =
        refused(map, replace(List.of(shard(2, 1, "m", "", 2)), List.of(shard(2, 1, "m", "x", 3))));

    assertThat(error).contains("stale").contains("epoch 3");
  }

  @Test
  void aTombstonedShardNeverComesBack() {
    ShardDescriptor merged = shard(1, 1, "", "", 2);
    ClusterMap map =
        ok(
            withUsers(),
            replace(List.of(shard(1, 1, "", "m", 1), shard(2, 1, "m", "", 1)), List.of(merged)));

    // A heartbeat-driven proposal built from the map before the merge: shard 2 at a newer epoch.
    String error =
        refused(map, replace(List.of(shard(2, 1, "m", "", 1)), List.of(shard(2, 1, "m", "", 2))));

    assertThat(error).contains("stale");
  }

  @Test
  void setLeadersChangesOnlyTheNamedShards() {
    MetaCommand leaders =
        MetaCommand.newBuilder()
            .setSetLeaders(
                SetLeaders.newBuilder().putLeaderByShard(2, "n2").putLeaderByShard(99, "n1"))
            .build();

    ClusterMap map = ok(withUsers(), leaders);

    assertThat(map.getShardsList())
        .extracting(ShardDescriptor::getShardId, ShardDescriptor::getLeaderNodeId)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, ""),
            org.assertj.core.groups.Tuple.tuple(2L, "n2"));
  }

  @Test
  void reserveShardIdsAdvancesTheCounter() {
    ClusterMap map = ok(withUsers(), MetaCommand.newBuilder().setReserveShardIds(5).build());

    assertThat(map.getNextShardId()).isEqualTo(8);
    // A registration proposed before the reservation is now stale.
    assertThat(refused(map, register(2, "orders", shard(3, 2, "", "", 1)))).contains("stale");
  }

  // ------------------------------------------------------------------ determinism

  @Test
  void theSameCommandOnTheSameMapGivesTheSameBytes() throws Exception {
    ClusterMap map =
        ok(withUsers(), MetaCommand.newBuilder().setUpsertNode(node("n1", "a:1")).build());
    List<MetaCommand> commands =
        List.of(
            MetaCommand.newBuilder().setUpsertNode(node("n2", "b:1")).build(),
            register(2, "orders", shard(3, 2, "", "", 1), shard(4, 2, "x", "", 1)),
            replace(
                List.of(shard(1, 1, "", "m", 1), shard(2, 1, "m", "", 1)),
                List.of(shard(1, 1, "", "", 2))),
            MetaCommand.newBuilder()
                .setSetLeaders(
                    SetLeaders.newBuilder().putLeaderByShard(1, "n1").putLeaderByShard(2, "n2"))
                .build(),
            deregister(1),
            forget(1),
            MetaCommand.newBuilder().setReserveShardIds(2).build());

    for (MetaCommand command : commands) {
      CommandOutcome<ClusterMap, MetaResult> first = run(map, command);
      CommandOutcome<ClusterMap, MetaResult> second =
          run(ClusterMap.parseFrom(map.toByteArray()), command);

      assertThat(type.valueCodec().encode(second.nextValue()))
          .as("%s", command.getBodyCase())
          .isEqualTo(type.valueCodec().encode(first.nextValue()));
      assertThat(type.resultCodec().encode(second.result()))
          .isEqualTo(type.resultCodec().encode(first.result()));
    }
  }

  @Test
  void codecsRoundTripAndQueryReturnsTheMap() {
    ClusterMap map = withUsers();

    assertThat(type.valueCodec().decode(type.valueCodec().encode(map))).isEqualTo(map);
    assertThat(type.query(map, 0, new byte[0], new byte[0]).result().getMap()).isEqualTo(map);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> type.commandCodec().decode(new byte[] {(byte) 0xFF, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed");
  }
}
