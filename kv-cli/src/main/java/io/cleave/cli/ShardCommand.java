package io.cleave.cli;

import picocli.CommandLine.Command;

/** {@code cleave shard split|merge}: manual placement operations. */
@Command(
    name = "shard",
    mixinStandardHelpOptions = true,
    description = "Splits and merges shards by hand.",
    subcommands = {ShardSplitCommand.class, ShardMergeCommand.class})
final class ShardCommand {}
