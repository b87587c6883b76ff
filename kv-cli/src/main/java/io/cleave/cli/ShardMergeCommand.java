package io.cleave.cli;

import io.cleave.api.v1.MergeShardsResponse;
import io.cleave.cli.Views.ShardView;
import io.cleave.client.CleaveClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cleave shard merge LEFT RIGHT}: merges two adjacent shards of one keyspace. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description = "Merges shard RIGHT into LEFT; LEFT must end where RIGHT starts.")
final class ShardMergeCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "LEFT")
  long left;

  @Parameters(index = "1", paramLabel = "RIGHT")
  long right;

  /** The JSON answer. */
  record Merge(ShardView merged) {}

  @Override
  Output run(CleaveClient client) {
    MergeShardsResponse r = client.blocking().admin().mergeShards(left, right);
    ShardView merged = ShardView.of(r.getMerged());
    return Views.changedShards(
        new Merge(merged),
        List.of(),
        List.of(merged),
        "shards " + left + " and " + right + " merged into " + merged.brief());
  }
}
