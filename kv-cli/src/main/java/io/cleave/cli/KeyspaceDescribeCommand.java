package io.cleave.cli;

import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.cli.Views.KeyspaceView;
import io.cleave.cli.Views.ShardView;
import io.cleave.client.CleaveClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cleave keyspace describe NAME}: the keyspace and every shard with its range (hex), epoch,
 * replicas, leader, key count and size.
 */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description =
        "Shows keyspace NAME and each shard: range (hex), epoch, replicas, leader, keys, size.")
final class KeyspaceDescribeCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Override
  Output run(CleaveClient client) {
    DescribeKeyspaceResponse r = client.blocking().admin().describeKeyspace(name);
    List<ShardView> shards =
        r.getShardsList().stream()
            .map(s -> ShardView.of(s.getShard(), s.hasStats() ? s.getStats() : null))
            .toList();
    KeyspaceView view = KeyspaceView.of(r.getKeyspace(), shards.size(), shards);
    return Output.table(view, view.summary(), ShardView.HEADERS, Views.rows(shards));
  }
}
