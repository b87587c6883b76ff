package io.cleave.cli;

import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.RegisterKeyspaceResponse;
import io.cleave.cli.Views.KeyspaceView;
import io.cleave.cli.Views.ShardView;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyspaceOptions;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cleave keyspace create NAME [options]}. Options left out take the node's defaults (bytes,
 * hash, 1 shard, 3 replicas capped by the live nodes, no split/merge limits).
 */
@Command(name = "create", mixinStandardHelpOptions = true, description = "Creates keyspace NAME.")
final class KeyspaceCreateCommand extends ClientCommand {
  /** The CLI's spelling of {@link Partitioning}. */
  enum PartitioningOption {
    hash,
    range
  }

  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Option(names = "--type", description = "Value type, e.g. bytes or counter (default: bytes).")
  String type;

  @Option(names = "--shards", description = "Shards to start with (default: 1).")
  Integer shards;

  @Option(names = "--replicas", description = "Replicas per shard (default: 3, capped by nodes).")
  Integer replicas;

  @Option(
      names = "--partitioning",
      description = "hash (spreads any key pattern) or range (ordered keys) (default: hash).")
  PartitioningOption partitioning;

  @Option(names = "--max-shards", description = "Most shards splitting may create.")
  Integer maxShards;

  @Option(names = "--min-shards", description = "Fewest shards merging may leave.")
  Integer minShards;

  @Option(names = "--max-keys-per-shard", description = "Split a shard above this many keys.")
  Long maxKeysPerShard;

  @Option(
      names = "--max-size-per-shard",
      converter = Units.SizeConverter.class,
      description = "Split a shard above this size, e.g. 64MiB.")
  Long maxSizePerShard;

  @Option(
      names = "--max-load-per-shard",
      description = "Split a shard above this many load units per second.")
  Long maxLoadPerShard;

  @Option(
      names = "--merge-ratio",
      description = "Merge neighbours under this fraction of a limit, in (0, 1) (default: 0.5).")
  Double mergeRatio;

  /** The options as the client takes them; throws IllegalArgumentException for bad values. */
  KeyspaceOptions options() {
    KeyspaceOptions.Builder b = KeyspaceOptions.builder();
    if (type != null) {
      b.valueType(type);
    }
    if (shards != null) {
      b.initialShards(shards);
    }
    if (replicas != null) {
      b.replicationFactor(replicas);
    }
    if (partitioning != null) {
      b.partitioning(
          partitioning == PartitioningOption.range ? Partitioning.RANGE : Partitioning.HASH);
    }
    if (maxShards != null) {
      b.maxShards(maxShards);
    }
    if (minShards != null) {
      b.minShards(minShards);
    }
    if (maxKeysPerShard != null) {
      b.maxKeysPerShard(maxKeysPerShard);
    }
    if (maxSizePerShard != null) {
      b.maxSizePerShard(maxSizePerShard);
    }
    if (maxLoadPerShard != null) {
      b.maxLoadPerShard(maxLoadPerShard);
    }
    if (mergeRatio != null) {
      b.mergeThresholdRatio(mergeRatio);
    }
    return b.build();
  }

  @Override
  Output run(CleaveClient client) {
    KeyspaceOptions options = options();
    RegisterKeyspaceResponse r = client.blocking().admin().registerKeyspace(name, options);
    List<ShardView> created = r.getShardsList().stream().map(ShardView::of).toList();
    KeyspaceView view = KeyspaceView.of(r.getKeyspace(), created.size(), created);
    String line =
        "keyspace '"
            + name
            + "' created: "
            + view.valueType()
            + ", "
            + view.partitioning()
            + ", "
            + created.size()
            + " shards, "
            + view.replicationFactor()
            + " replicas";
    return Views.changedShards(view, List.of(line), created, line);
  }
}
