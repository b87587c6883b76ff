package io.cleave.server.raft;

import java.util.Optional;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Names the Raft group of a shard: a UUID derived from the shard id, so any node can compute it.
 */
public final class ShardGroups {
  /** "Cleave" in ASCII: marks the UUIDs as ours among Ratis's group directories. */
  private static final long PREFIX = 0x436c65617665L;

  /** The meta shard's id; data shards start at 1. */
  public static final long META_SHARD_ID = 0;

  private ShardGroups() {}

  public static RaftGroupId groupId(long shardId) {
    return RaftGroupId.valueOf(new UUID(PREFIX, shardId));
  }

  public static long shardId(RaftGroupId groupId) {
    return groupId.getUuid().getLeastSignificantBits();
  }

  /** The shard whose group Ratis keeps in a directory of this name; empty if not one of ours. */
  public static Optional<Long> shardIdOfDirectory(String name) {
    UUID uuid;
    try {
      uuid = UUID.fromString(name);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return uuid.getMostSignificantBits() == PREFIX
        ? Optional.of(uuid.getLeastSignificantBits())
        : Optional.empty();
  }
}
