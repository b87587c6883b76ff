package io.cleave.cli;

import io.cleave.client.Bytes;
import picocli.CommandLine.Parameters;

/** The {@code KEYSPACE KEY} positional parameters of the data commands; the key is UTF-8 text. */
final class KeyArgs {
  @Parameters(index = "0", paramLabel = "KEYSPACE", description = "The keyspace.")
  String keyspace;

  @Parameters(index = "1", paramLabel = "KEY", description = "The key, as UTF-8 text.")
  String key;

  Bytes keyBytes() {
    return bytes(key);
  }

  /** A key given on the command line as bytes: its UTF-8 encoding. */
  static Bytes bytes(String key) {
    return Bytes.utf8(key);
  }
}
