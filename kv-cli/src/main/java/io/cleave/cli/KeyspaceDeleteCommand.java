package io.cleave.cli;

import io.cleave.client.CleaveClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cleave keyspace delete NAME}: removes the keyspace and every key in it. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = "Deletes keyspace NAME and every key in it.")
final class KeyspaceDeleteCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  /** The JSON answer. */
  record Deleted(String name, boolean deleted) {}

  @Override
  Output run(CleaveClient client) {
    client.blocking().admin().deregisterKeyspace(name);
    return Output.row(
        new Deleted(name, true),
        List.of("NAME", "DELETED"),
        List.of(name, "true"),
        List.of("keyspace '" + name + "' deleted"));
  }
}
