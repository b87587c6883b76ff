package io.cleave.cli;

import io.cleave.client.CleaveException;
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
      String message = e.getMessage() == null ? "" : e.getMessage();
      String prefix = e.code() + ": ";
      message = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
      message = message.isBlank() ? "the call failed" : message.strip();
      text = message + " (" + e.code() + ")";
      if (e.code() == Status.Code.UNAVAILABLE) {
        text += "; is a cluster running at --endpoints? 'cleave dev' starts one";
      }
    } else if (t instanceof CliException || t instanceof IllegalArgumentException) {
      text = t.getMessage();
    } else {
      text = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
    return text.replaceAll("\\s*\\R\\s*", " ");
  }
}
