package io.cleave.cli;

import io.cleave.client.CleaveClient;
import io.cleave.client.GetResult;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code cleave get KEYSPACE KEY}: prints the value (simple), or key, value and version. A missing
 * key is a failure (exit 1, {@code Error: key not found ...}) so scripts can test for it.
 */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = "Prints the value of KEY in KEYSPACE (linearizable read).")
final class GetCommand extends ClientCommand {
  @Mixin KeyArgs args;

  /** The JSON answer. */
  record Get(String keyspace, String key, String value, long version) {}

  @Override
  Output run(CleaveClient client) {
    GetResult result = client.blocking().get(args.keyspace, args.keyBytes());
    if (!result.found()) {
      throw new CliException(
          "key not found: '" + args.key + "' in keyspace '" + args.keyspace + "'");
    }
    String value = result.value().toUtf8();
    return Output.row(
        new Get(args.keyspace, args.key, value, result.version()),
        List.of("KEY", "VALUE", "VERSION"),
        List.of(args.key, value, String.valueOf(result.version())),
        List.of(value));
  }
}
