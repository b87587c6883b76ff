package io.cleave.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.placement.LeaderBalancer.Leadership;
import io.cleave.placement.LeaderBalancer.Move;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaderBalancerTest {
  private static final List<String> NODES = List.of("n1", "n2", "n3");
  private static final Set<String> ALL = Set.copyOf(NODES);

  private static Leadership shard(long id, long keyspace, String leader) {
    return new Leadership(id, keyspace, leader, ALL);
  }

  /** Applies moves until none is left; returns how many it took. */
  private static int settle(List<Leadership> shards, List<String> live) {
    for (int moves = 0; moves < 1000; moves++) {
      Optional<Move> move = LeaderBalancer.nextMove(shards, live);
      if (move.isEmpty()) {
        return moves;
      }
      Move m = move.get();
      for (int i = 0; i < shards.size(); i++) {
        Leadership s = shards.get(i);
        if (s.shardId() == m.shardId()) {
          assertThat(s.leader()).isEqualTo(m.from());
          assertThat(s.candidates()).contains(m.to());
          shards.set(i, new Leadership(s.shardId(), s.keyspaceId(), m.to(), s.candidates()));
        }
      }
    }
    throw new AssertionError("leader moves never stop: " + shards);
  }

  private static Map<String, Integer> led(List<Leadership> shards, long keyspace) {
    Map<String, Integer> led = new HashMap<>();
    NODES.forEach(n -> led.put(n, 0));
    shards.stream()
        .filter(s -> keyspace < 0 || s.keyspaceId() == keyspace)
        .forEach(s -> led.merge(s.leader(), 1, Integer::sum));
    return led;
  }

  @Test
  void balancedClusterNeedsNoMove() {
    List<Leadership> shards =
        List.of(shard(1, 1, "n1"), shard(2, 1, "n2"), shard(3, 1, "n3"), shard(4, 1, "n1"));
    assertThat(LeaderBalancer.nextMove(shards, NODES)).isEmpty();
  }

  @Test
  void movesFromTheBusiestNodeToTheIdlestCandidate() {
    List<Leadership> shards = List.of(shard(1, 1, "n1"), shard(2, 1, "n1"), shard(3, 1, "n2"));
    assertThat(LeaderBalancer.nextMove(shards, NODES)).contains(new Move(1, "n1", "n3"));
  }

  @Test
  void evensOutEachKeyspaceEvenWhenNodeTotalsAreAlreadyEven() {
    // Old keyspace 1 led by n3 alone, new keyspace 2 led 4/4/0: totals 4/4/4 but n3 idle for ks 2.
    List<Leadership> shards = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      shards.add(shard(10 + i, 1, "n3"));
    }
    for (int i = 0; i < 8; i++) {
      shards.add(shard(20 + i, 2, i < 4 ? "n1" : "n2"));
    }
    assertThat(LeaderBalancer.nextMove(shards, NODES)).isPresent();

    settle(shards, NODES);

    for (long keyspace : List.of(1L, 2L)) {
      Map<String, Integer> led = led(shards, keyspace);
      assertThat(max(led) - min(led)).as("keyspace %d: %s", keyspace, led).isLessThanOrEqualTo(1);
    }
    Map<String, Integer> total = led(shards, -1);
    assertThat(max(total) - min(total)).as("%s", total).isLessThanOrEqualTo(1);
  }

  @Test
  void evensOutNodeTotalsAcrossSingleShardKeyspacesToo() {
    // Five one-shard keyspaces all led by n1: each keyspace alone is as even as it can be.
    List<Leadership> shards = new ArrayList<>();
    for (int k = 1; k <= 5; k++) {
      shards.add(shard(k, k, "n1"));
    }
    settle(shards, NODES);
    Map<String, Integer> total = led(shards, -1);
    assertThat(max(total) - min(total)).as("%s", total).isLessThanOrEqualTo(1);
  }

  @Test
  void neverMovesToADeadNodeOrANodeWithoutAReplica() {
    List<Leadership> shards =
        List.of(
            new Leadership(1, 1, "n1", Set.of("n1", "n2")),
            new Leadership(2, 1, "n1", Set.of("n1", "n2")),
            new Leadership(3, 1, "n1", Set.of("n1", "n2")));
    // n2 is down: nothing can take over.
    assertThat(LeaderBalancer.nextMove(shards, List.of("n1", "n3"))).isEmpty();
    // n2 up: it takes one; n3 holds no replica and gets none.
    assertThat(LeaderBalancer.nextMove(shards, NODES)).contains(new Move(1, "n1", "n2"));
  }

  @Test
  void aSingleLiveNodeHasNothingToBalance() {
    assertThat(
            LeaderBalancer.nextMove(List.of(shard(1, 1, "n1"), shard(2, 1, "n1")), List.of("n1")))
        .isEmpty();
  }

  private static int max(Map<String, Integer> led) {
    return led.values().stream().mapToInt(i -> i).max().orElseThrow();
  }

  private static int min(Map<String, Integer> led) {
    return led.values().stream().mapToInt(i -> i).min().orElseThrow();
  }
}
