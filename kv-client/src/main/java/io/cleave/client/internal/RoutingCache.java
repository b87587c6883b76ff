package io.cleave.client.internal;

import io.cleave.api.v1.GetClusterMapResponse;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.ShardDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the client knows of the cluster map: node addresses and, per keyspace, its shards. Filled
 * from GetClusterMap and repaired in place from the descriptors nodes attach to routing errors, so
 * that one split costs one extra round trip, not a full map reload.
 */
public final class RoutingCache {
  private volatile Map<String, KeyspaceRoutes> byName = Map.of();
  private volatile Map<Integer, KeyspaceRoutes> byId = Map.of();
  private final Map<String, String> nodeAddresses = new ConcurrentHashMap<>();
  private long mapVersion = -1;

  /**
   * Replaces the cache with a full cluster map. A map older than the one applied last is ignored:
   * endpoints are asked in turn, and a lagging node must not roll the cache back.
   */
  public synchronized void apply(GetClusterMapResponse map) {
    if (map.getVersion() < mapVersion) {
      return;
    }
    mapVersion = map.getVersion();
    for (NodeDescriptor node : map.getNodesList()) {
      nodeAddresses.put(node.getNodeId(), node.getClientAddress());
    }
    Map<Integer, List<ShardDescriptor>> shards = new HashMap<>();
    for (ShardDescriptor shard : map.getShardsList()) {
      shards.computeIfAbsent(shard.getKeyspaceId(), id -> new ArrayList<>()).add(shard);
    }
    Map<String, KeyspaceRoutes> names = new HashMap<>();
    Map<Integer, KeyspaceRoutes> ids = new HashMap<>();
    for (KeyspaceDescriptor keyspace : map.getKeyspacesList()) {
      KeyspaceRoutes routes =
          new KeyspaceRoutes(keyspace, shards.getOrDefault(keyspace.getId(), List.of()));
      names.put(keyspace.getName(), routes);
      ids.put(keyspace.getId(), routes);
    }
    byName = Map.copyOf(names);
    byId = Map.copyOf(ids);
  }

  /** The routes of a keyspace, or null if the cache does not know it. */
  public KeyspaceRoutes keyspace(String name) {
    return byName.get(name);
  }

  /**
   * Applies descriptors from a ShardError to their keyspaces.
   *
   * @return whether any cached route changed
   */
  public boolean repair(Collection<ShardDescriptor> current) {
    Map<Integer, List<ShardDescriptor>> perKeyspace = new HashMap<>();
    for (ShardDescriptor shard : current) {
      perKeyspace.computeIfAbsent(shard.getKeyspaceId(), id -> new ArrayList<>()).add(shard);
    }
    boolean changed = false;
    for (Map.Entry<Integer, List<ShardDescriptor>> e : perKeyspace.entrySet()) {
      KeyspaceRoutes routes = byId.get(e.getKey());
      if (routes != null) {
        changed |= routes.replace(e.getValue());
      }
    }
    return changed;
  }

  /** Records a node's address learned from a NOT_LEADER hint. */
  public void learnNode(String nodeId, String address) {
    if (!nodeId.isEmpty() && !address.isEmpty()) {
      nodeAddresses.put(nodeId, address);
    }
  }

  /** The client address of a node, or null when unknown. */
  public String addressOf(String nodeId) {
    return nodeAddresses.get(nodeId);
  }

  /** Every known node address, for asking "any node" calls in turn. */
  public Collection<String> knownAddresses() {
    return List.copyOf(nodeAddresses.values());
  }
}
