package io.cleave.cli;

import io.cleave.client.CleaveClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The root command. Global options are inherited by every sub-command, so they may come before or
 * after it ({@code cleave -w json status} and {@code cleave status -w json} mean the same).
 */
@Command(
    name = "cleave",
    mixinStandardHelpOptions = true,
    versionProvider = CleaveCli.Version.class,
    description = "Cleave: a Raft-sharded, auto-splitting key-value cluster.",
    subcommands = {
      DevCommand.class,
      PutCommand.class,
      GetCommand.class,
      DelCommand.class,
      ScanCommand.class,
      StatusCommand.class,
      KeyspaceCommand.class,
      ShardCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CleaveCli implements Runnable {
  /** The addresses {@code cleave dev} listens on with its default options. */
  public static final String DEFAULT_ENDPOINTS = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003";

  /** Exit code of a command that ran and failed (picocli uses 2 for usage errors). */
  public static final int EXIT_FAILURE = CommandLine.ExitCode.SOFTWARE;

  @Spec CommandSpec spec;

  @Option(
      names = "--endpoints",
      split = ",",
      paramLabel = "HOST:PORT",
      scope = ScopeType.INHERIT,
      defaultValue = "${env:CLEAVE_ENDPOINTS:-" + DEFAULT_ENDPOINTS + "}",
      description = "Comma-separated host:port of nodes to ask (default: ${DEFAULT-VALUE}).")
  List<String> endpoints;

  @Option(
      names = {"-w", "--write-out"},
      paramLabel = "FORMAT",
      scope = ScopeType.INHERIT,
      defaultValue = "simple",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  OutputFormat writeOut;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      scope = ScopeType.INHERIT,
      defaultValue = "15s",
      converter = Units.DurationConverter.class,
      description =
          "Time budget of each call, retries included, e.g. 500ms, 5s, 1m (default: 15s: creating a keyspace starts a Raft group per shard replica).")
  Duration timeout;

  static {
    // `cleave dev` runs three nodes in this JVM.
    io.cleave.server.JvmSettings.apply();
  }

  public static void main(String[] args) {
    // Ratis' shaded gRPC logs through java.util.logging; keep its INFO lines off the terminal.
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    System.exit(commandLine().execute(args));
  }

  /** A configured command line printing to the process's stdout and stderr. */
  public static CommandLine commandLine() {
    return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true));
  }

  /** A configured command line printing to {@code out} and {@code err}; what tests run. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new CleaveCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(new ErrorReporter());
    return cli;
  }

  /** Without a sub-command: the usage, as a failure (there is nothing else to do). */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing sub-command; see 'cleave --help'.");
  }

  /** A client on the global endpoints with the global timeout; the caller closes it. */
  CleaveClient connect() {
    return CleaveClient.builder()
        .endpoints(endpoints.stream().map(String::trim).filter(e -> !e.isEmpty()).toList())
        .defaultTimeout(timeout)
        .build();
  }

  /** The global output format. */
  OutputFormat format() {
    return writeOut;
  }

  /** The project version from the jar manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = CleaveCli.class.getPackage().getImplementationVersion();
      return new String[] {"cleave " + (version == null ? "(development build)" : version)};
    }
  }
}
