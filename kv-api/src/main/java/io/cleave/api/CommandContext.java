package io.cleave.api;

/**
 * What a command may know besides its inputs. Everything here is carried in the Raft log entry, so
 * every replica sees the same values.
 *
 * @param leaderTimeMillis the wall clock of the leader that proposed the entry; the only clock a
 *     command may read (for TTLs and timestamps)
 * @param logIndex the index of the entry in the shard's Raft log
 */
public record CommandContext(long leaderTimeMillis, long logIndex) {}
