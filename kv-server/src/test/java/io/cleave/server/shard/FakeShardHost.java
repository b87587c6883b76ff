package io.cleave.server.shard;

import io.cleave.internal.v1.ShardState;
import io.cleave.server.meta.ClusterMapType;
import io.cleave.server.storage.NodeStore;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;

/**
 * A node without Raft: the real store and value types, a direct executor, and a record of the
 * children a split asked to start.
 */
final class FakeShardHost implements ShardHost {
  /** A child start a split requested. */
  record ChildStart(ShardState child, RaftGroup parentGroup) {}

  static final RaftPeer PEER =
      RaftPeer.newBuilder().setId(RaftPeerId.valueOf("n1")).setAddress("127.0.0.1:1").build();

  private final NodeStore store;
  private final ValueTypes types;
  private final Map<Long, ShardStateMachine> replicas = new ConcurrentHashMap<>();
  final List<ChildStart> childStarts = new CopyOnWriteArrayList<>();

  FakeShardHost(NodeStore store) throws IOException {
    this.store = store;
    this.types = ValueTypes.load(Optional.empty(), List.of(new ClusterMapType()));
  }

  @Override
  public NodeStore store() {
    return store;
  }

  @Override
  public ValueTypes types() {
    return types;
  }

  @Override
  public Executor background() {
    return Runnable::run;
  }

  @Override
  public void replicaOpened(ShardStateMachine replica) {
    replicas.put(replica.shardId(), replica);
  }

  @Override
  public void replicaClosed(ShardStateMachine replica) {
    replicas.remove(replica.shardId(), replica);
  }

  @Override
  public void startChild(ShardState child, RaftGroup parentGroup) {
    childStarts.add(new ChildStart(child, parentGroup));
  }

  @Override
  public CompletableFuture<TermIndex> installSnapshot(long shardId, String leaderNodeId) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("no peers here"));
  }

  @Override
  public Optional<ShardStateMachine> localReplica(long shardId) {
    return Optional.ofNullable(replicas.get(shardId));
  }

  /**
   * The little of a {@link RaftServer} a state machine touches: its id, and the division of a
   * group, which a split reads its peers from. Everything else fails loudly.
   */
  static RaftServer raftServer() {
    return (RaftServer)
        Proxy.newProxyInstance(
            RaftServer.class.getClassLoader(),
            new Class<?>[] {RaftServer.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getId" -> PEER.getId();
                  case "getDivision" -> division((RaftGroupId) args[0]);
                  case "toString" -> "fake-raft-server";
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  private static RaftServer.Division division(RaftGroupId groupId) {
    RaftGroup group = RaftGroup.valueOf(groupId, PEER);
    return (RaftServer.Division)
        Proxy.newProxyInstance(
            RaftServer.class.getClassLoader(),
            new Class<?>[] {RaftServer.Division.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getGroup" -> group;
                  case "toString" -> "fake-division-" + groupId;
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
