package io.cleave.client;

import io.cleave.api.v1.CompareAndSetRequest;
import java.util.Objects;

/** What {@link CleaveClient#compareAndSet} does when the expectation holds. Immutable. */
public final class Update {
  private static final Update DELETE = new Update(null);

  private final Bytes value; // null: delete

  private Update(Bytes value) {
    this.value = value;
  }

  /** Set the key to {@code value}. */
  public static Update set(Bytes value) {
    return new Update(Objects.requireNonNull(value));
  }

  /** Delete the key. */
  public static Update delete() {
    return DELETE;
  }

  void applyTo(CompareAndSetRequest.Builder request) {
    if (value == null) {
      request.setDelete(true);
    } else {
      request.setNewValue(value.toByteString());
    }
  }

  @Override
  public String toString() {
    return value == null ? "delete" : "set " + value;
  }
}
