package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.client.CleaveException;
import io.cleave.client.KeyspaceNotFoundException;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ErrorReporterTest {

  @Test
  void clientFailuresNameTheirStatusCodeOnce() {
    assertThat(ErrorReporter.describe(new KeyspaceNotFoundException("x", null)))
        .isEqualTo("keyspace 'x' not found (NOT_FOUND)");
    assertThat(
            ErrorReporter.describe(
                new CompletionException(
                    new CleaveException(Status.Code.ALREADY_EXISTS, "keyspace 'x' exists", null))))
        .isEqualTo("keyspace 'x' exists (ALREADY_EXISTS)");
    assertThat(ErrorReporter.describe(new CleaveException(Status.Code.INTERNAL, "", null)))
        .isEqualTo("the call failed (INTERNAL)");
  }

  @Test
  void unavailableSuggestsStartingACluster() {
    assertThat(
            ErrorReporter.describe(
                new CleaveException(Status.Code.UNAVAILABLE, "no node answered", null)))
        .startsWith("no node answered (UNAVAILABLE); ")
        .contains("cleave dev");
  }

  @Test
  void everythingIsOneLine() {
    assertThat(ErrorReporter.describe(new IllegalStateException("first\n  second")))
        .isEqualTo("IllegalStateException: first second");
    assertThat(ErrorReporter.describe(new CliException("key not found: 'k'")))
        .isEqualTo("key not found: 'k'");
  }
}
