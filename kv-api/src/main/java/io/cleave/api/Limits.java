package io.cleave.api;

/** Input limits every node enforces; requests over them get INVALID_ARGUMENT. */
public final class Limits {
  /** Longest key, in bytes. Keys are copied into every data key and index, so they stay small. */
  public static final int MAX_KEY_BYTES = 4096;

  /** Default longest value (or command argument), in bytes; nodes may configure another. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

  /** Most entries in one batch call. */
  public static final int MAX_BATCH_ENTRIES = 1000;

  /** Most entries in one page of a scan (one Scan call). */
  public static final int MAX_SCAN_PAGE_ENTRIES = 1000;

  /**
   * Bytes of keys and values after which a scan page ends early (it always holds at least one
   * entry), so a page of large values stays well under gRPC's default 4 MiB message limit.
   */
  public static final int SCAN_PAGE_BYTES = 1024 * 1024;

  /** Longest keyspace name. */
  public static final int MAX_KEYSPACE_NAME_CHARS = 128;

  private Limits() {}
}
