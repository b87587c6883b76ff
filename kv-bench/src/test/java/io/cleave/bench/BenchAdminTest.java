package io.cleave.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.client.Bytes;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import site.ycsb.Utils;

class BenchAdminTest {
  @Test
  void ycsbSplitKeysCutYcsbsKeysIntoShardsOfAboutEqualSize() {
    for (int shards : new int[] {2, 4, 8, 16}) {
      List<Bytes> splitKeys = BenchAdmin.ycsbSplitKeys(shards);
      assertThat(splitKeys).hasSize(shards - 1).isSorted();
      int[] perShard = new int[shards];
      int records = 100_000;
      for (long n = 0; n < records; n++) {
        // How YCSB's CoreWorkload names record n (hashed insert order, no zero padding).
        Bytes key = Bytes.utf8("user" + Utils.hash(n));
        int shard = 0;
        while (shard < splitKeys.size() && key.compareTo(splitKeys.get(shard)) >= 0) {
          shard++;
        }
        perShard[shard]++;
      }
      double even = (double) records / shards;
      for (int count : perShard) {
        assertThat(count)
            .as("keys per shard of %d: %s", shards, Arrays.toString(perShard))
            .isBetween((int) (even * 0.8), (int) (even * 1.2));
      }
    }
  }
}
