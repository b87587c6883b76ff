package io.cleave.server.raft;

import io.cleave.server.config.NodeConfig;
import java.nio.file.Path;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;

/**
 * The Ratis settings a node runs with, each chosen on purpose (see docs/design/0001). Ratis's
 * defaults suit one group on a big machine; a node here hosts many groups on two cores.
 */
public final class RaftSettings {
  private RaftSettings() {}

  /** Where Ratis keeps the node's group directories (one per replica, named by group id). */
  public static Path storageDir(NodeConfig config) {
    return config.dataDir().resolve("raft");
  }

  public static RaftProperties properties(NodeConfig config) {
    RaftProperties p = new RaftProperties();
    p.set(RaftServerConfigKeys.STORAGE_DIR_KEY, storageDir(config).toString());
    // Default is /tmp/raft-server/removed-groups: keep everything under the data directory.
    p.set(
        RaftServerConfigKeys.REMOVED_GROUPS_DIR_KEY,
        config.dataDir().resolve("raft-removed").toString());
    p.set(GrpcConfigKeys.Server.HOST_KEY, config.listenHost());
    p.set(GrpcConfigKeys.Server.PORT_KEY, Integer.toString(config.self().raftPort()));

    // Elections: ~1 s on a 2-core machine, where many groups share the CPU. A fresh group may
    // elect faster, so a new keyspace is usable at once.
    long min = config.electionTimeoutMin().toMillis();
    p.set(RaftServerConfigKeys.Rpc.TIMEOUT_MIN_KEY, min + "ms");
    p.set(RaftServerConfigKeys.Rpc.TIMEOUT_MAX_KEY, 2 * min + "ms");
    p.set(RaftServerConfigKeys.Rpc.FIRST_ELECTION_TIMEOUT_MIN_KEY, Math.max(100, min / 5) + "ms");
    p.set(
        RaftServerConfigKeys.Rpc.FIRST_ELECTION_TIMEOUT_MAX_KEY, Math.max(200, 2 * min / 5) + "ms");
    p.set(RaftServerConfigKeys.Rpc.REQUEST_TIMEOUT_KEY, Math.max(3000, 3 * min) + "ms");

    // Reads: ReadIndex (linearizable), with the leader lease so a leader answers without a
    // heartbeat round while its lease holds. The lease is a fraction of the election timeout.
    p.set(RaftServerConfigKeys.Read.OPTION_KEY, "LINEARIZABLE");
    p.set(RaftServerConfigKeys.Read.LEADER_LEASE_ENABLED_KEY, "true");

    // Snapshots are "the store is flushed up to here"; take them automatically and purge the log
    // behind them, keeping some entries so a briefly slow follower needs no snapshot.
    p.set(RaftServerConfigKeys.Snapshot.AUTO_TRIGGER_ENABLED_KEY, "true");
    p.set(
        RaftServerConfigKeys.Snapshot.AUTO_TRIGGER_THRESHOLD_KEY,
        Long.toString(config.snapshotThreshold()));
    p.set(
        RaftServerConfigKeys.Snapshot.CREATION_GAP_KEY,
        Long.toString(Math.min(1024, config.snapshotThreshold())));
    p.set(RaftServerConfigKeys.Snapshot.TRIGGER_WHEN_REMOVE_ENABLED_KEY, "false");
    p.set(RaftServerConfigKeys.Log.PURGE_UPTO_SNAPSHOT_INDEX_KEY, "true");
    p.set(
        RaftServerConfigKeys.Log.PURGE_GAP_KEY,
        Long.toString(Math.min(1024, config.snapshotThreshold())));
    p.set(
        RaftServerConfigKeys.Log.PURGE_PRESERVATION_LOG_NUM_KEY,
        Long.toString(config.logPreservedEntries()));
    // A crash (kill -9, power loss) mid-write can tear the last record of an open segment. Ratis
    // drops a record cut short by the end of the file under any policy, but a torn record followed
    // by the preallocated zeros fails its checksum, and the default policy (EXCEPTION) then refuses
    // to start the group, taking the node down with it. WARN_AND_RETURN keeps the entries before
    // the bad record and truncates the rest; the replica refetches them from its leader. The torn
    // record was not synced, so not acknowledged, unless the disk lost synced bytes (docs/design
    // 0001, "Ratis settings"; LogTruncationChaosIT).
    p.set(
        RaftServerConfigKeys.Log.CORRUPTION_POLICY_KEY,
        RaftServerConfigKeys.Log.CorruptionPolicy.WARN_AND_RETURN.name());
    // No commit markers in the log. By default the leader appends a METADATAENTRY (the new commit
    // index) after every commit, so each entry of client writes costs a second entry: a second
    // append RPC to every follower, a second write and fsync on every replica, a second pass of
    // the apply thread. The marker only lets a restarted replica apply up to the last commit it
    // saw before any leader speaks to it; without it the replica waits for its leader, as in the
    // Raft paper (the commit index is volatile state). Safety does not depend on it, and every
    // entry a replica applied is in RocksDB already (docs/design/0001, "Commit markers").
    p.set(RaftServerConfigKeys.Log.LOG_METADATA_ENABLED_KEY, "false");
    // A follower behind the purged log pulls the shard's range over Cleave's own gRPC.
    p.set(RaftServerConfigKeys.Log.Appender.INSTALL_SNAPSHOT_ENABLED_KEY, "false");

    // Per-group memory: Ratis allocates the write buffer per group (8 MB direct by default).
    p.set(RaftServerConfigKeys.Log.WRITE_BUFFER_SIZE_KEY, "1MB");
    p.set(RaftServerConfigKeys.Log.Appender.BUFFER_BYTE_LIMIT_KEY, "512KB");
    p.set(RaftServerConfigKeys.Log.SEGMENT_SIZE_MAX_KEY, Long.toString(config.logSegmentBytes()));
    p.set(
        RaftServerConfigKeys.Log.PREALLOCATED_SIZE_KEY,
        Long.toString(Math.min(1024 * 1024, config.logSegmentBytes())));
    p.set(RaftServerConfigKeys.Log.SEGMENT_CACHE_NUM_MAX_KEY, "2");
    p.set(GrpcConfigKeys.Server.WORKER_GROUP_SIZE_KEY, "4");
    p.set(GrpcConfigKeys.Client.WORKER_GROUP_SIZE_KEY, "2");
    // Expert overrides: any JVM system property named raft.* is passed to Ratis as is (for
    // experiments and emergencies; the settings above are the supported ones).
    System.getProperties()
        .stringPropertyNames()
        .forEach(
            key -> {
              if (key.startsWith("raft.")) {
                p.set(key, System.getProperty(key));
              }
            });
    return p;
  }
}
