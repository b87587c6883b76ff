package io.cleave.api;

import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/** gRPC statuses as {@code google.rpc.Status} messages, for answers that carry several of them. */
public final class StatusProtos {
  private StatusProtos() {}

  /**
   * The status {@code t} stands for, with its details (a {@code ShardError}) when it has them: what
   * a client would have received had {@code t} failed a call of its own.
   */
  public static com.google.rpc.Status of(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status != null) {
      return status;
    }
    Status plain = Status.fromThrowable(t);
    return com.google.rpc.Status.newBuilder()
        .setCode(plain.getCode().value())
        .setMessage(String.valueOf(plain.getDescription()))
        .build();
  }
}
