package io.cleave.cli;

import io.cleave.client.CleaveClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to a running cluster: opens a client on the global {@code --endpoints},
 * runs, prints its {@link Output} in the global {@code -w} format, and closes the client.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public final Integer call() {
    CleaveCli root = (CleaveCli) spec.root().userObject();
    try (CleaveClient client = root.connect()) {
      Output output = run(client);
      root.format().printer().print(output, spec.commandLine().getOut());
    }
    return 0;
  }

  /** Does the work; throws {@link CliException} or the client's exceptions on failure. */
  abstract Output run(CleaveClient client);
}
