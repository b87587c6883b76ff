package io.cleave.client;

/**
 * One key of a scan, as its shard held it when the scan's page was read.
 *
 * @param key the key
 * @param value its value
 * @param version writes to the key since it was last created (1 after the first put)
 */
public record ScanEntry(Bytes key, Bytes value, long version) {}
