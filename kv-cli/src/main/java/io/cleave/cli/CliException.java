package io.cleave.cli;

/** A command failed for a reason it can say in one line; printed as {@code Error: <message>}. */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CliException(String message) {
    super(message, null, false, false);
  }
}
