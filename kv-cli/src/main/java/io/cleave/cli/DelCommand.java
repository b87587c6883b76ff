package io.cleave.cli;

import io.cleave.client.CleaveClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code cleave del KEYSPACE KEY}: deletes a key; prints how many keys were deleted (1 or 0), as
 * etcdctl does. Deleting a missing key is not a failure.
 */
@Command(
    name = "del",
    mixinStandardHelpOptions = true,
    description = "Deletes KEY from KEYSPACE; prints 1 if it existed, else 0.")
final class DelCommand extends ClientCommand {
  @Mixin KeyArgs args;

  /** The JSON answer. */
  record Del(String keyspace, String key, boolean deleted) {}

  @Override
  Output run(CleaveClient client) {
    boolean deleted = client.blocking().delete(args.keyspace, args.keyBytes());
    return Output.row(
        new Del(args.keyspace, args.key, deleted),
        List.of("KEY", "DELETED"),
        List.of(args.key, String.valueOf(deleted)),
        List.of(deleted ? "1" : "0"));
  }
}
