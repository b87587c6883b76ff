package io.cleave.server.node;

import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.internal.v1.ClusterMap;

/** Lookups in a cluster map. */
final class ClusterMapTypeView {
  private ClusterMapTypeView() {}

  static KeyspaceDescriptor keyspace(ClusterMap map, String name) {
    return map.getKeyspacesList().stream()
        .filter(k -> k.getName().equals(name))
        .findFirst()
        .orElse(null);
  }
}
