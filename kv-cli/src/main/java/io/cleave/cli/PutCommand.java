package io.cleave.cli;

import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cleave put KEYSPACE KEY VALUE}: sets a key; prints OK (simple) or the new version. */
@Command(
    name = "put",
    mixinStandardHelpOptions = true,
    description = "Sets KEY to VALUE in KEYSPACE (both as UTF-8 text).")
final class PutCommand extends ClientCommand {
  @Mixin KeyArgs args;

  @Parameters(index = "2", paramLabel = "VALUE")
  String value;

  /** The JSON answer. */
  record Put(String keyspace, String key, long version) {}

  @Override
  Output run(CleaveClient client) {
    long version = client.blocking().put(args.keyspace, args.keyBytes(), Bytes.utf8(value));
    return Output.row(
        new Put(args.keyspace, args.key, version),
        List.of("KEYSPACE", "KEY", "VERSION"),
        List.of(args.keyspace, args.key, String.valueOf(version)),
        List.of("OK"));
  }
}
