package io.cleave.cli;

import io.cleave.api.v1.SplitShardResponse;
import io.cleave.cli.Views.ShardView;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import java.util.HexFormat;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cleave shard split SHARD_ID [--at HEX]}. The split point is a routing key: the key itself
 * in a range keyspace, its 8-byte hash in a hash keyspace. Without {@code --at} the node picks
 * (load-weighted, else the middle).
 */
@Command(
    name = "split",
    mixinStandardHelpOptions = true,
    description = "Splits shard SHARD_ID in two.")
final class ShardSplitCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "SHARD_ID")
  long shardId;

  @Option(
      names = "--at",
      paramLabel = "HEX",
      description = "Routing key to split at, in hex (default: the node picks).")
  String at;

  /** The JSON answer. */
  record Split(ShardView left, ShardView right) {}

  /** The split point; empty lets the node pick. */
  Bytes splitAt() {
    if (at == null || at.isEmpty()) {
      return Bytes.EMPTY;
    }
    try {
      return Bytes.of(HexFormat.of().parseHex(at.startsWith("0x") ? at.substring(2) : at));
    } catch (IllegalArgumentException e) {
      throw new CliException("--at must be an even number of hex digits, got '" + at + "'");
    }
  }

  @Override
  Output run(CleaveClient client) {
    SplitShardResponse r = client.blocking().admin().splitShard(shardId, splitAt());
    ShardView left = ShardView.of(r.getLeft());
    ShardView right = ShardView.of(r.getRight());
    return Views.changedShards(
        new Split(left, right),
        List.of(),
        List.of(left, right),
        "shard " + shardId + " split into " + left.brief() + " and " + right.brief());
  }
}
