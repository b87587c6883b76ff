package io.cleave.client;

/**
 * The outcome of {@link CleaveClient#compareAndSet}: whether it applied, and the key's state after
 * the call (the new state when it succeeded, the unchanged one otherwise, so a caller can retry its
 * read-modify-write without another read).
 *
 * @param succeeded whether the expectation held and the update was applied
 * @param found whether the key exists now
 * @param value its value now; empty when not found
 * @param version its version now; 0 when not found
 */
public record CasResult(boolean succeeded, boolean found, Bytes value, long version) {}
