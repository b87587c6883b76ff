package io.cleave.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * Chooses the next leader move that evens out leadership, one move at a time (the controller calls
 * it every round and waits for the move to show in the nodes' reports before asking again).
 *
 * <p>Two goals, in order:
 *
 * <ol>
 *   <li>Within each keyspace, no live node leads more than one shard more than another. A hot
 *       keyspace's work is then spread over every node even when other keyspaces happen to balance
 *       the node totals (8 shards of a new keyspace led 4/4/0 next to 4 shards of an old one led
 *       0/0/4 are balanced per node but leave one node idle for the new keyspace).
 *   <li>Across the cluster, the same for node totals, moving only shards whose keyspace stays
 *       balanced by the first rule.
 * </ol>
 *
 * Pure: no I/O, no clock; ties break by node id so that every run gives the same answer.
 */
public final class LeaderBalancer {
  private LeaderBalancer() {}

  /**
   * A shard's current leadership.
   *
   * @param leader node id of the replica that reports leading it
   * @param candidates node ids of live replicas that could take over (may include the leader)
   */
  public record Leadership(long shardId, long keyspaceId, String leader, Set<String> candidates) {}

  /** Move the leadership of {@code shardId} from node {@code from} to node {@code to}. */
  public record Move(long shardId, String from, String to) {}

  /** The next move, or empty when leadership is as even as the replicas allow. */
  public static Optional<Move> nextMove(Collection<Leadership> shards, Collection<String> live) {
    if (live.size() < 2) {
      return Optional.empty();
    }
    Map<Long, List<Leadership>> byKeyspace = new TreeMap<>();
    shards.forEach(s -> byKeyspace.computeIfAbsent(s.keyspaceId(), k -> new ArrayList<>()).add(s));
    Map<Long, Map<String, Integer>> keyspaceLed = new HashMap<>();
    byKeyspace.forEach((id, list) -> keyspaceLed.put(id, ledCounts(list, live)));

    for (List<Leadership> keyspace : byKeyspace.values()) {
      Optional<Move> move =
          evenOut(keyspace, live, ledCounts(keyspace, live), (shard, target) -> true);
      if (move.isPresent()) {
        return move;
      }
    }
    // A move between nodes may only even out the shard's keyspace further, never undo rule 1.
    return evenOut(
        shards,
        live,
        ledCounts(shards, live),
        (shard, target) -> {
          Map<String, Integer> led = keyspaceLed.get(shard.keyspaceId());
          return led.get(shard.leader()) > led.get(target);
        });
  }

  private static Map<String, Integer> ledCounts(
      Collection<Leadership> shards, Collection<String> live) {
    Map<String, Integer> led = new HashMap<>();
    live.forEach(n -> led.put(n, 0));
    shards.forEach(s -> led.computeIfPresent(s.leader(), (k, v) -> v + 1));
    return led;
  }

  /**
   * A move of one shard from the node leading the most (by {@code led}) to its live candidate
   * leading the fewest, when that narrows a gap of more than one and {@code allowed} agrees.
   */
  private static Optional<Move> evenOut(
      Collection<Leadership> shards,
      Collection<String> live,
      Map<String, Integer> led,
      BiPredicate<Leadership, String> allowed) {
    Comparator<String> byLed = Comparator.comparing((String n) -> led.get(n)).thenComparing(n -> n);
    for (String busiest : live.stream().sorted(byLed.reversed()).toList()) {
      for (Leadership shard : shards) {
        if (!busiest.equals(shard.leader())) {
          continue;
        }
        Optional<String> target =
            shard.candidates().stream()
                .filter(n -> live.contains(n) && !n.equals(busiest))
                .filter(n -> led.get(busiest) - led.get(n) > 1 && allowed.test(shard, n))
                .min(byLed);
        if (target.isPresent()) {
          return Optional.of(new Move(shard.shardId(), busiest, target.get()));
        }
      }
    }
    return Optional.empty();
  }
}
