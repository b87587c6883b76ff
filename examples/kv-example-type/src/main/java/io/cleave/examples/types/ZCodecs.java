package io.cleave.examples.types;

import io.cleave.api.Codec;
import java.util.ArrayList;
import java.util.List;

/**
 * The zset wire formats, in {@link Wire}'s encoding. A value starts with a format byte so a later
 * version of the plugin can still read what this one stored; commands, queries and results start
 * with a tag naming their kind.
 *
 * <pre>
 * value   := 0x01 count (member score)*            entries in rank order, members distinct
 * command := 0x01 mode count (member score)*       Add
 *          | 0x02 count member*                    Remove
 *          | 0x03 member delta                     IncrBy
 * query   := 0x01 member | 0x02 member reverse     Score | Rank
 *          | 0x03 offset limit reverse             Range
 *          | 0x04 min max limit | 0x05             RangeByScore | Card
 * result  := 0x01 number | 0x02 | 0x03 count (member score)*
 * </pre>
 */
final class ZCodecs {
  private ZCodecs() {}

  static final int VALUE_FORMAT = 1;

  private static final int ADD = 1;
  private static final int REMOVE = 2;
  private static final int INCR_BY = 3;

  private static final int SCORE = 1;
  private static final int RANK = 2;
  private static final int RANGE = 3;
  private static final int RANGE_BY_SCORE = 4;
  private static final int CARD = 5;

  private static final int NUMBER = 1;
  private static final int ABSENT = 2;
  private static final int ENTRIES = 3;

  static final Codec<ZSet> VALUE =
      new Codec<>() {
        @Override
        public byte[] encode(ZSet value) {
          Wire.Writer out = new Wire.Writer().tag(VALUE_FORMAT);
          writeEntries(out, value.entries());
          return out.toBytes();
        }

        @Override
        public ZSet decode(byte[] bytes) {
          Wire.Reader in = new Wire.Reader(bytes);
          int format = in.tag();
          if (format != VALUE_FORMAT) {
            throw new IllegalArgumentException("unknown zset value format " + format);
          }
          List<ZEntry> entries = readEntries(in);
          in.end();
          return ZSet.ofRankOrder(entries);
        }
      };

  static final Codec<ZCommand> COMMAND =
      new Codec<>() {
        @Override
        public byte[] encode(ZCommand command) {
          Wire.Writer out = new Wire.Writer();
          if (command instanceof ZCommand.Add add) {
            out.tag(ADD).tag(add.mode().code);
            writeEntries(out, add.entries());
          } else if (command instanceof ZCommand.Remove remove) {
            out.tag(REMOVE).unsigned(remove.members().size());
            remove.members().forEach(out::string);
          } else if (command instanceof ZCommand.IncrBy incr) {
            out.tag(INCR_BY).string(incr.member()).signed(incr.delta());
          } else {
            throw new IllegalArgumentException("not a zset command: " + command);
          }
          return out.toBytes();
        }

        @Override
        public ZCommand decode(byte[] bytes) {
          Wire.Reader in = new Wire.Reader(bytes);
          int tag = in.tag();
          ZCommand command =
              switch (tag) {
                case ADD -> {
                  ZCommand.AddMode mode = ZCommand.AddMode.ofCode(in.tag());
                  yield new ZCommand.Add(mode, readEntries(in));
                }
                case REMOVE -> {
                  int count = in.count(SortedSetType.MAX_MEMBERS);
                  List<String> members = new ArrayList<>(count);
                  for (int i = 0; i < count; i++) {
                    members.add(in.string(SortedSetType.MAX_MEMBER_BYTES));
                  }
                  yield new ZCommand.Remove(members);
                }
                case INCR_BY ->
                    new ZCommand.IncrBy(in.string(SortedSetType.MAX_MEMBER_BYTES), in.signed());
                default -> throw new IllegalArgumentException("unknown zset command tag " + tag);
              };
          in.end();
          return command;
        }
      };

  static final Codec<ZQuery> QUERY =
      new Codec<>() {
        @Override
        public byte[] encode(ZQuery query) {
          Wire.Writer out = new Wire.Writer();
          if (query instanceof ZQuery.Score score) {
            out.tag(SCORE).string(score.member());
          } else if (query instanceof ZQuery.Rank rank) {
            out.tag(RANK).string(rank.member()).bool(rank.reverse());
          } else if (query instanceof ZQuery.Range range) {
            out.tag(RANGE).unsigned(range.offset()).unsigned(range.limit()).bool(range.reverse());
          } else if (query instanceof ZQuery.RangeByScore byScore) {
            out.tag(RANGE_BY_SCORE)
                .signed(byScore.min())
                .signed(byScore.max())
                .unsigned(byScore.limit());
          } else if (query instanceof ZQuery.Card) {
            out.tag(CARD);
          } else {
            throw new IllegalArgumentException("not a zset query: " + query);
          }
          return out.toBytes();
        }

        @Override
        public ZQuery decode(byte[] bytes) {
          Wire.Reader in = new Wire.Reader(bytes);
          int tag = in.tag();
          ZQuery query =
              switch (tag) {
                case SCORE -> new ZQuery.Score(in.string(SortedSetType.MAX_MEMBER_BYTES));
                case RANK -> new ZQuery.Rank(in.string(SortedSetType.MAX_MEMBER_BYTES), in.bool());
                case RANGE ->
                    new ZQuery.Range(
                        in.count(Integer.MAX_VALUE), in.count(Integer.MAX_VALUE), in.bool());
                case RANGE_BY_SCORE ->
                    new ZQuery.RangeByScore(in.signed(), in.signed(), in.count(Integer.MAX_VALUE));
                case CARD -> new ZQuery.Card();
                default -> throw new IllegalArgumentException("unknown zset query tag " + tag);
              };
          in.end();
          return query;
        }
      };

  static final Codec<ZResult> RESULT =
      new Codec<>() {
        @Override
        public byte[] encode(ZResult result) {
          Wire.Writer out = new Wire.Writer();
          if (result instanceof ZResult.Number number) {
            out.tag(NUMBER).signed(number.value());
          } else if (result instanceof ZResult.Absent) {
            out.tag(ABSENT);
          } else if (result instanceof ZResult.Entries entries) {
            out.tag(ENTRIES);
            writeEntries(out, entries.entries());
          } else {
            throw new IllegalArgumentException("not a zset result: " + result);
          }
          return out.toBytes();
        }

        @Override
        public ZResult decode(byte[] bytes) {
          Wire.Reader in = new Wire.Reader(bytes);
          int tag = in.tag();
          ZResult result =
              switch (tag) {
                case NUMBER -> new ZResult.Number(in.signed());
                case ABSENT -> new ZResult.Absent();
                case ENTRIES -> new ZResult.Entries(readEntries(in));
                default -> throw new IllegalArgumentException("unknown zset result tag " + tag);
              };
          in.end();
          return result;
        }
      };

  private static void writeEntries(Wire.Writer out, List<ZEntry> entries) {
    out.unsigned(entries.size());
    for (ZEntry entry : entries) {
      out.string(entry.member()).signed(entry.score());
    }
  }

  private static List<ZEntry> readEntries(Wire.Reader in) {
    int count = in.count(SortedSetType.MAX_MEMBERS);
    List<ZEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      entries.add(new ZEntry(in.string(SortedSetType.MAX_MEMBER_BYTES), in.signed()));
    }
    return entries;
  }
}
