package io.cleave.examples.types;

import io.cleave.api.Codec;
import io.cleave.api.CommandContext;
import io.cleave.api.CommandOutcome;
import io.cleave.api.QueryOutcome;
import io.cleave.api.ValuePerKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * {@code zset}: a small sorted set per key — members with 64-bit integer scores, ordered by score —
 * for leaderboards, priority lists and "top N" views. An example of a user {@link ValuePerKey}
 * loaded by nodes from their plugin directory; see {@code docs/value-types.md}.
 *
 * <ul>
 *   <li>Commands: {@link ZCommand.Add} (with {@linkplain ZCommand.AddMode modes} always, if absent,
 *       if present, if higher), {@link ZCommand.Remove}, {@link ZCommand.IncrBy}.
 *   <li>Queries: {@link ZQuery.Score}, {@link ZQuery.Rank}, {@link ZQuery.Range}, {@link
 *       ZQuery.RangeByScore}, {@link ZQuery.Card}.
 *   <li>Size: the number of members, so a keyspace's size-based split policy counts members.
 *   <li>Load: one unit per member a command names or a query returns, at least one per call.
 * </ul>
 *
 * <p>Scores are integers rather than doubles so that there is no NaN, no -0.0 and no rounding to
 * reason about: overflow is refused, the key unchanged. A set holds at most {@link #MAX_MEMBERS}
 * members of at most {@link #MAX_MEMBER_BYTES} bytes; a command that would exceed that is refused.
 * A set left empty is deleted, so no key holds an empty set.
 *
 * <p>Deterministic: no clock, no randomness, no iteration over hash order that reaches the result
 * (every value is rebuilt in rank order), so every replica computes the same bytes.
 */
public final class SortedSetType implements ValuePerKey<ZSet, ZCommand, ZQuery, ZResult> {
  public static final String NAME = "zset";

  /** Most members one key holds. Keeps a value, decoded on every command, small. */
  public static final int MAX_MEMBERS = 4096;

  /** Longest member, in bytes of UTF-8. */
  public static final int MAX_MEMBER_BYTES = 128;

  /** Needed by {@link java.util.ServiceLoader}. */
  public SortedSetType() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Codec<ZSet> valueCodec() {
    return ZCodecs.VALUE;
  }

  @Override
  public Codec<ZCommand> commandCodec() {
    return ZCodecs.COMMAND;
  }

  @Override
  public Codec<ZQuery> queryCodec() {
    return ZCodecs.QUERY;
  }

  @Override
  public Codec<ZResult> resultCodec() {
    return ZCodecs.RESULT;
  }

  @Override
  public CommandOutcome<ZSet, ZResult> command(
      ZSet previous, long size, byte[] key, ZCommand argument, CommandContext context) {
    Map<String, Long> scores =
        previous == null ? new HashMap<>() : new HashMap<>(previous.scores());
    long result;
    long load;
    if (argument instanceof ZCommand.Add add) {
      result = add(scores, add);
      load = add.entries().size();
    } else if (argument instanceof ZCommand.Remove remove) {
      result = remove.members().stream().filter(m -> scores.remove(m) != null).count();
      load = remove.members().size();
    } else if (argument instanceof ZCommand.IncrBy incr) {
      long before = scores.getOrDefault(incr.member(), 0L);
      try {
        result = Math.addExact(before, incr.delta());
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            "score of '" + incr.member() + "' would overflow: " + before + " + " + incr.delta());
      }
      scores.put(incr.member(), result);
      load = 1;
    } else {
      throw new IllegalArgumentException("not a zset command: " + argument);
    }
    ZResult reply = new ZResult.Number(result);
    if (scores.isEmpty()) {
      return new CommandOutcome<>(reply, load, null, 0);
    }
    if (previous != null && scores.equals(previous.scores())) {
      return new CommandOutcome<>(reply, load, previous, previous.size());
    }
    ZSet next = ZSet.of(scores); // refuses more than MAX_MEMBERS
    return new CommandOutcome<>(reply, load, next, next.size());
  }

  /** Applies {@code add} to {@code scores}; returns the number of members added or changed. */
  private static long add(Map<String, Long> scores, ZCommand.Add add) {
    long changed = 0;
    for (ZEntry entry : add.entries()) {
      Long current = scores.get(entry.member());
      boolean write =
          switch (add.mode()) {
            case ALWAYS -> true;
            case IF_ABSENT -> current == null;
            case IF_PRESENT -> current != null;
            case IF_HIGHER -> current == null || entry.score() > current;
          };
      if (write && (current == null || current != entry.score())) {
        scores.put(entry.member(), entry.score());
        changed++;
      }
    }
    return changed;
  }

  @Override
  public QueryOutcome<ZResult> query(ZSet value, long size, byte[] key, ZQuery argument) {
    if (argument instanceof ZQuery.Score score) {
      OptionalLong found = value.score(score.member());
      ZResult result =
          found.isPresent() ? new ZResult.Number(found.getAsLong()) : new ZResult.Absent();
      return new QueryOutcome<>(result, 1);
    }
    if (argument instanceof ZQuery.Rank rank) {
      int position = value.rank(rank.member());
      if (position < 0) {
        return new QueryOutcome<>(new ZResult.Absent(), 1);
      }
      long ranked = rank.reverse() ? value.size() - 1 - position : position;
      return new QueryOutcome<>(new ZResult.Number(ranked), 1);
    }
    if (argument instanceof ZQuery.Range range) {
      return entries(value.range(range.offset(), range.limit(), range.reverse()));
    }
    if (argument instanceof ZQuery.RangeByScore byScore) {
      return entries(value.rangeByScore(byScore.min(), byScore.max(), byScore.limit()));
    }
    if (argument instanceof ZQuery.Card) {
      return new QueryOutcome<>(new ZResult.Number(value.size()), 1);
    }
    throw new IllegalArgumentException("not a zset query: " + argument);
  }

  private static QueryOutcome<ZResult> entries(List<ZEntry> entries) {
    return new QueryOutcome<>(new ZResult.Entries(entries), 1 + entries.size());
  }
}
