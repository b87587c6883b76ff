package io.cleave.cli;

import picocli.CommandLine.Command;

/** {@code cleave keyspace create|list|describe|delete}. */
@Command(
    name = "keyspace",
    mixinStandardHelpOptions = true,
    description = "Creates, lists, describes and deletes keyspaces.",
    subcommands = {
      KeyspaceCreateCommand.class,
      KeyspaceListCommand.class,
      KeyspaceDescribeCommand.class,
      KeyspaceDeleteCommand.class
    })
final class KeyspaceCommand {}
