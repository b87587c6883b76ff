package io.cleave.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.client.CleaveException;
import io.cleave.client.KeyspaceNotFoundException;
import io.cleave.client.UnknownOutcomeException;
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
                new KeyspaceNotFoundException(
                    "x",
                    Status.NOT_FOUND
                        .withDescription("keyspace 'x' does not exist")
                        .asRuntimeException())))
        .isEqualTo("keyspace 'x' does not exist (NOT_FOUND)");
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
  void theNodesReasonIsKeptFromTheCause() {
    CleaveException wrapped =
        new CleaveException(
            Status.Code.UNAVAILABLE,
            "no node answered MergeShards (tried [a:1])",
            Status.UNAVAILABLE.withDescription("shard 6 has no known leader").asRuntimeException());
    assertThat(ErrorReporter.describe(wrapped))
        .startsWith(
            "no node answered MergeShards (tried [a:1]): shard 6 has no known leader (UNAVAILABLE)");
  }

  @Test
  void deadlinesSayWhichBudgetRanOut() {
    assertThat(
            ErrorReporter.describe(
                new CleaveException(
                    Status.Code.DEADLINE_EXCEEDED,
                    "deadline exceeded ClientCall started after CallOptions deadline was exceeded",
                    null)))
        .startsWith("no answer within the time budget (--timeout) (DEADLINE_EXCEEDED); ");
    assertThat(
            ErrorReporter.describe(
                new UnknownOutcomeException("write deadline exceeded, outcome unknown", null)))
        .isEqualTo("write deadline exceeded, outcome unknown (DEADLINE_EXCEEDED)");
  }

  @Test
  void everythingIsOneLine() {
    assertThat(ErrorReporter.describe(new IllegalStateException("first\n  second")))
        .isEqualTo("IllegalStateException: first second");
    assertThat(ErrorReporter.describe(new CliException("key not found: 'k'")))
        .isEqualTo("key not found: 'k'");
  }
}
