package io.cleave.cli;

import io.cleave.api.v1.GetClusterMapResponse;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.cli.Views.KeyspaceView;
import io.cleave.client.CleaveClient;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

/** {@code cleave keyspace list}: every keyspace with its type, partitioning and shard count. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "Lists keyspaces with their type, partitioning, replicas and shard count.")
final class KeyspaceListCommand extends ClientCommand {

  @Override
  Output run(CleaveClient client) {
    // The cluster map rather than ListKeyspaces: one call gives the shard counts too.
    GetClusterMapResponse map = client.blocking().admin().getClusterMap();
    Map<Integer, Long> shards =
        map.getShardsList().stream()
            .collect(Collectors.groupingBy(ShardDescriptor::getKeyspaceId, Collectors.counting()));
    List<KeyspaceView> keyspaces =
        map.getKeyspacesList().stream()
            .map(k -> KeyspaceView.of(k, shards.getOrDefault(k.getId(), 0L).intValue(), null))
            .toList();
    return Output.table(
        keyspaces,
        List.of(),
        KeyspaceView.HEADERS,
        keyspaces.stream().map(KeyspaceView::row).toList());
  }
}
