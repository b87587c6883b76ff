package io.cleave.server.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.cleave.api.Codec;
import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.QueryOutcome;
import io.cleave.api.ValuePerKey;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.MetaCommand;
import io.cleave.internal.v1.MetaResult;
import io.cleave.internal.v1.RegisterKeyspace;
import io.cleave.internal.v1.ReplaceShards;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The cluster map as a value type. Each command is a deterministic edit of the whole map: the
 * proposer (the meta leader) makes the decisions — ids, replica nodes — and the command carries
 * them, so every replica of the meta shard computes the same map.
 */
public final class ClusterMapType
    implements ValuePerKey<ClusterMap, MetaCommand, byte[], MetaResult> {
  public static final String NAME = "cleave.cluster-map";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Codec<ClusterMap> valueCodec() {
    return protoCodec(ClusterMap::parseFrom);
  }

  @Override
  public Codec<MetaCommand> commandCodec() {
    return protoCodec(MetaCommand::parseFrom);
  }

  @Override
  public Codec<byte[]> queryCodec() {
    return Codec.bytes();
  }

  @Override
  public Codec<MetaResult> resultCodec() {
    return protoCodec(MetaResult::parseFrom);
  }

  @Override
  public CommandOutcome<ClusterMap, MetaResult> command(
      ClusterMap previous, long size, byte[] key, MetaCommand command, CommandContext context) {
    ClusterMap map =
        previous == null
            ? ClusterMap.newBuilder().setNextShardId(1).setNextKeyspaceId(1).build()
            : previous;
    String error = check(map, command);
    if (error != null) {
      return new CommandOutcome<>(
          MetaResult.newBuilder().setOk(false).setError(error).setMap(map).build(),
          1,
          map,
          map.getSerializedSize());
    }
    ClusterMap next =
        edit(map, command, context).toBuilder().setVersion(map.getVersion() + 1).build();
    return new CommandOutcome<>(
        MetaResult.newBuilder().setOk(true).setMap(next).build(),
        1,
        next,
        next.getSerializedSize());
  }

  @Override
  public QueryOutcome<MetaResult> query(ClusterMap value, long size, byte[] key, byte[] argument) {
    return new QueryOutcome<>(MetaResult.newBuilder().setOk(true).setMap(value).build(), 1);
  }

  /** Why {@code command} cannot apply to {@code map}, or null. */
  private static String check(ClusterMap map, MetaCommand command) {
    switch (command.getBodyCase()) {
      case REGISTER_KEYSPACE -> {
        RegisterKeyspace register = command.getRegisterKeyspace();
        KeyspaceDescriptor keyspace = register.getKeyspace();
        if (map.getKeyspacesList().stream().anyMatch(k -> k.getName().equals(keyspace.getName()))) {
          return "keyspace " + keyspace.getName() + " already exists";
        }
        if (keyspace.getId() != map.getNextKeyspaceId()) {
          return "stale proposal: keyspace id " + keyspace.getId() + " is taken";
        }
        for (ShardDescriptor shard : register.getShardsList()) {
          if (shard.getShardId() < map.getNextShardId()) {
            return "stale proposal: shard id " + shard.getShardId() + " is taken";
          }
        }
        return null;
      }
      case DEREGISTER_KEYSPACE_ID -> {
        return keyspaceById(map, command.getDeregisterKeyspaceId()) == null
            ? "keyspace " + command.getDeregisterKeyspaceId() + " does not exist"
            : null;
      }
      case REPLACE_SHARDS -> {
        for (ShardDescriptor added : command.getReplaceShards().getAddList()) {
          if (map.getRetiredShardIdsList().contains(added.getShardId())) {
            return "stale proposal: shard " + added.getShardId() + " was merged away";
          }
        }
        Map<Long, ShardDescriptor> current = shardsById(map);
        for (ShardDescriptor removed : command.getReplaceShards().getRemoveList()) {
          ShardDescriptor now = current.get(removed.getShardId());
          if (now != null && now.getEpoch() > removed.getEpoch()) {
            return "stale proposal: shard "
                + removed.getShardId()
                + " is at epoch "
                + now.getEpoch();
          }
        }
        return null;
      }
      case BODY_NOT_SET -> {
        return "empty meta command";
      }
      default -> {
        return null;
      }
    }
  }

  private static ClusterMap edit(ClusterMap map, MetaCommand command, CommandContext context) {
    ClusterMap.Builder next = map.toBuilder();
    switch (command.getBodyCase()) {
      case UPSERT_NODE -> {
        NodeDescriptor node = command.getUpsertNode();
        next.clearNodes();
        map.getNodesList().stream()
            .filter(n -> !n.getNodeId().equals(node.getNodeId()))
            .forEach(next::addNodes);
        next.addNodes(node);
      }
      case REGISTER_KEYSPACE -> {
        RegisterKeyspace register = command.getRegisterKeyspace();
        next.addKeyspaces(register.getKeyspace())
            .setNextKeyspaceId(register.getKeyspace().getId() + 1)
            .addAllShards(register.getShardsList());
        register.getShardsList().stream()
            .mapToLong(ShardDescriptor::getShardId)
            .max()
            .ifPresent(max -> next.setNextShardId(Math.max(map.getNextShardId(), max + 1)));
      }
      case DEREGISTER_KEYSPACE_ID -> {
        next.clearKeyspaces();
        for (KeyspaceDescriptor k : map.getKeyspacesList()) {
          next.addKeyspaces(
              k.getId() == command.getDeregisterKeyspaceId()
                  ? k.toBuilder().setDeleting(true).build()
                  : k);
        }
      }
      case FORGET_KEYSPACE_ID -> {
        int gone = command.getForgetKeyspaceId();
        next.clearKeyspaces().clearShards();
        map.getKeyspacesList().stream().filter(k -> k.getId() != gone).forEach(next::addKeyspaces);
        map.getShardsList().stream()
            .filter(s -> s.getKeyspaceId() != gone)
            .forEach(next::addShards);
      }
      case REPLACE_SHARDS -> {
        ReplaceShards replace = command.getReplaceShards();
        Set<Long> replaced = new HashSet<>();
        replace.getRemoveList().forEach(s -> replaced.add(s.getShardId()));
        replace.getAddList().forEach(s -> replaced.add(s.getShardId()));
        next.clearShards();
        map.getShardsList().stream()
            .filter(s -> !replaced.contains(s.getShardId()))
            .forEach(next::addShards);
        next.addAllShards(replace.getAddList());
        Set<Long> addedIds = new HashSet<>();
        replace.getAddList().forEach(s -> addedIds.add(s.getShardId()));
        for (ShardDescriptor removed : replace.getRemoveList()) {
          next.removeLastChangeMillis(removed.getShardId());
          if (!addedIds.contains(removed.getShardId())) {
            next.addRetiredShardIds(removed.getShardId());
          }
        }
        for (ShardDescriptor added : replace.getAddList()) {
          next.setNextShardId(Math.max(next.getNextShardId(), added.getShardId() + 1));
          next.putLastChangeMillis(added.getShardId(), context.leaderTimeMillis());
        }
      }
      case SET_LEADERS -> {
        Map<Long, String> leaders = command.getSetLeaders().getLeaderByShardMap();
        next.clearShards();
        for (ShardDescriptor s : map.getShardsList()) {
          String leader = leaders.get(s.getShardId());
          next.addShards(leader == null ? s : s.toBuilder().setLeaderNodeId(leader).build());
        }
      }
      case RESERVE_SHARD_IDS ->
          next.setNextShardId(map.getNextShardId() + command.getReserveShardIds());
      case BODY_NOT_SET -> {}
    }
    return next.build();
  }

  /** The keyspace named {@code name} in {@code map} (deleting or not), or null. */
  public static KeyspaceDescriptor keyspace(ClusterMap map, String name) {
    return map.getKeyspacesList().stream()
        .filter(k -> k.getName().equals(name))
        .findFirst()
        .orElse(null);
  }

  static KeyspaceDescriptor keyspaceById(ClusterMap map, int id) {
    return map.getKeyspacesList().stream().filter(k -> k.getId() == id).findFirst().orElse(null);
  }

  static Map<Long, ShardDescriptor> shardsById(ClusterMap map) {
    Map<Long, ShardDescriptor> byId = new java.util.HashMap<>();
    map.getShardsList().forEach(s -> byId.put(s.getShardId(), s));
    return byId;
  }

  private interface Parser<T> {
    T parse(byte[] bytes) throws InvalidProtocolBufferException;
  }

  private static <T extends MessageLite> Codec<T> protoCodec(Parser<T> parser) {
    return new Codec<>() {
      @Override
      public byte[] encode(T value) {
        return value.toByteArray();
      }

      @Override
      public T decode(byte[] bytes) {
        try {
          return parser.parse(bytes);
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException("malformed " + e.getMessage(), e);
        }
      }
    };
  }
}
