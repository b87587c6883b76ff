package io.cleave.placement;

/** Which limit of the keyspace's policy a shard passed, and so how its split point is chosen. */
public enum SplitReason {
  /** Too many keys: cut in the middle of the range, where half the keys should be. */
  KEYS,
  /** Too many bytes: cut in the middle of the range, where half the bytes should be. */
  SIZE,
  /** Too much load: cut where the sampled load is halved, so both halves cool down. */
  LOAD
}
