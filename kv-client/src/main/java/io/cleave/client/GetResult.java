package io.cleave.client;

/**
 * The state of a key as a read saw it.
 *
 * @param found whether the key exists
 * @param value the value; empty when not found
 * @param version writes to the key since it was last created (1 after the first put); 0 when not
 *     found
 */
public record GetResult(boolean found, Bytes value, long version) {
  /** The result for a key that does not exist. */
  public static final GetResult NOT_FOUND = new GetResult(false, Bytes.EMPTY, 0);
}
