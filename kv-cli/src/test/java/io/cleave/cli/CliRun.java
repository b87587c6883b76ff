package io.cleave.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One run of the {@code cleave} command line in process, with stdout and stderr captured.
 *
 * @param exitCode what {@code main} would exit with
 * @param out everything printed on stdout
 * @param err everything printed on stderr
 */
record CliRun(int exitCode, String out, String err) {

  /** Runs {@code args} as {@code cleave args...} would, without exiting the JVM. */
  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        CleaveCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
