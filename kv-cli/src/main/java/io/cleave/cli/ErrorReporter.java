package io.cleave.cli;

import io.cleave.client.CleaveException;
import io.cleave.client.KeyspaceNotFoundException;
import io.cleave.client.UnknownOutcomeException;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns any failure of a running command into one line on stderr and exit code {@link
 * CleaveCli#EXIT_FAILURE}. No stack traces: the line names what failed and the gRPC status code, so
 * a script can tell NOT_FOUND from UNAVAILABLE without parsing prose.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(Exception e, CommandLine cli, ParseResult parsed) {
    cli.getErr().println("Error: " + describe(e));
    cli.getErr().flush();
    return CleaveCli.EXIT_FAILURE;
  }

  /** The one-line description of {@code failure}, without the {@code Error: } prefix. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String text;
    if (t instanceof CleaveException e) {
      text = describe(e);
    } else if (t instanceof CliException || t instanceof IllegalArgumentException) {
      text = t.getMessage();
    } else {
      text = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
    return text.replaceAll("\\s*\\R\\s*", " ");
  }

  private static String describe(CleaveException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    String prefix = e.code() + ": ";
    message = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    message = message.isBlank() ? "the call failed" : message.strip();
    boolean noAnswer =
        e.code() == Status.Code.UNAVAILABLE || e.code() == Status.Code.DEADLINE_EXCEEDED;
    if (e.code() == Status.Code.DEADLINE_EXCEEDED && !(e instanceof UnknownOutcomeException)) {
      // gRPC's own text ("ClientCall started after CallOptions deadline...") helps nobody.
      message = "no answer within the time budget (--timeout)";
    } else {
      // The node's own words, when the client wrapped them: "no node answered X" keeps the
      // reason only in its cause; for a missing keyspace the node's sentence is the clearer one.
      String reason =
          e.getCause() == null ? null : Status.fromThrowable(e.getCause()).getDescription();
      if (reason != null && !reason.isBlank() && !message.contains(reason.strip())) {
        message =
            e instanceof KeyspaceNotFoundException
                ? reason.strip()
                : message + ": " + reason.strip();
      }
    }
    String text = message + " (" + e.code() + ")";
    if (noAnswer && !(e instanceof UnknownOutcomeException)) {
      text += "; is a cluster running at --endpoints? 'cleave dev' starts one";
    }
    return text;
  }
}
