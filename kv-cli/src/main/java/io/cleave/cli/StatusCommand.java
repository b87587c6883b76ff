package io.cleave.cli;

import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.cli.Views.NodeView;
import io.cleave.client.CleaveClient;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code cleave status}: the nodes and whether each is alive, the meta leader, the counts. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Shows the nodes (alive or not), the meta leader, and keyspace and shard counts.")
final class StatusCommand extends ClientCommand {

  /** The JSON answer. */
  record Status(
      long mapVersion,
      String metaLeader,
      int keyspaceCount,
      int shardCount,
      List<NodeView> nodes) {}

  @Override
  Output run(CleaveClient client) {
    ClusterStatusResponse r = client.blocking().admin().clusterStatus();
    List<NodeView> nodes = r.getNodesList().stream().map(NodeView::of).toList();
    String leader = r.getMetaLeaderNodeId().isEmpty() ? "(none)" : r.getMetaLeaderNodeId();
    long alive = nodes.stream().filter(NodeView::alive).count();
    return Output.table(
        new Status(r.getMapVersion(), leader, r.getKeyspaceCount(), r.getShardCount(), nodes),
        List.of(
            "nodes: " + nodes.size() + " (" + alive + " alive), meta leader: " + leader,
            "keyspaces: "
                + r.getKeyspaceCount()
                + ", shards: "
                + r.getShardCount()
                + ", map version: "
                + r.getMapVersion()),
        NodeView.HEADERS,
        nodes.stream().map(NodeView::row).toList());
  }
}
