package io.cleave.testing.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTest {

  @Test
  void recordsOutcomesAndTimes() {
    Script s = new Script();
    History.Pending w = s.call(1, Command.write("k", "v"));
    History.Pending r = s.call(2, Command.read("k"));
    History.Pending c = s.call(3, Command.cas("k", null, "x"));
    History.Pending d = s.call(4, Command.delete("k"));
    w.ok();
    r.ok(Bytes.utf8("v"));
    c.ok(false);
    d.fail();
    History.Pending lost = s.call(5, Command.write("k", "z"));
    List<Operation> ops = s.ops();
    assertThat(ops).extracting(Operation::id).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(ops.get(0).invokeNanos()).isEqualTo(1);
    assertThat(ops.get(0).completeNanos()).isEqualTo(5);
    assertThat(ops.get(1).observed()).isEqualTo(Bytes.utf8("v"));
    assertThat(ops.get(2).casSucceeded()).isFalse();
    assertThat(ops.get(3).outcome()).isEqualTo(Operation.Outcome.FAIL);
    // Never completed: it may still happen, so it is UNKNOWN with an open window.
    assertThat(ops.get(4).outcome()).isEqualTo(Operation.Outcome.UNKNOWN);
    assertThat(ops.get(4).completeNanos()).isEqualTo(Long.MAX_VALUE);
    lost.unknown();
    assertThat(s.ops().get(4).completeNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void rejectsMisuse() {
    Script s = new Script();
    History.Pending w = s.call(1, Command.write("k", "v"));
    assertThatThrownBy(() -> w.ok(true)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> w.okAbsent()).isInstanceOf(IllegalStateException.class);
    w.ok();
    assertThatThrownBy(w::ok).hasMessageContaining("completed twice");
    assertThatThrownBy(() -> s.call(1, Command.read("k")).ok())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new Command(Command.Type.WRITE, Bytes.utf8("k"), null, null))
        .hasMessageContaining("DELETE");
  }

  @Test
  void concurrentClientsRecordEveryOperationOnce() throws Exception {
    History history = new History();
    int threads = 6;
    int perThread = 2000;
    CountDownLatch start = new CountDownLatch(1);
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int client = t;
      ts[t] =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    history.invoke(client, Command.write("k" + (i % 7), client + ":" + i)).ok();
                  }
                } catch (Throwable e) {
                  error.set(e);
                }
              });
      ts[t].start();
    }
    start.countDown();
    for (Thread t : ts) {
      t.join();
    }
    assertThat(error.get()).isNull();
    List<Operation> ops = history.operations();
    assertThat(ops).hasSize(threads * perThread);
    assertThat(ops).allSatisfy(o -> assertThat(o.outcome()).isEqualTo(Operation.Outcome.OK));
    assertThat(ops).extracting(Operation::id).doesNotHaveDuplicates();
    assertThat(ops)
        .allSatisfy(o -> assertThat(o.completeNanos()).isGreaterThanOrEqualTo(o.invokeNanos()));
  }

  @Test
  void jsonLinesRoundTripIncludingBinaryAbsentAndUnknown(@TempDir Path dir) throws Exception {
    Script s = new Script();
    Bytes binaryKey = Bytes.of(new byte[] {0, 1, (byte) 0xfe});
    s.call(1, Command.write(binaryKey, Bytes.utf8("héllo \"quoted\"\n"))).ok();
    s.call(2, Command.read(binaryKey)).okAbsent();
    s.call(3, Command.cas(binaryKey, null, Bytes.of(new byte[] {(byte) 0xff}))).ok(true);
    s.call(4, Command.delete("k")).unknown();
    s.call(5, Command.cas("k", "a", null)).fail();
    List<Operation> ops = s.ops();

    StringWriter out = new StringWriter();
    HistoryJson.write(ops, out);
    assertThat(out.toString().lines()).hasSize(ops.size());
    assertThat(HistoryJson.read(new StringReader(out.toString()))).isEqualTo(ops);

    Path file = dir.resolve("history.jsonl");
    s.history.writeJsonLines(file);
    assertThat(HistoryJson.read(file)).isEqualTo(ops);
    assertThat(Files.readString(file))
        .contains("\"hex\":\"0001fe\"")
        .contains("\"completeNanos\":null");
  }

  @Test
  void reReadHistoryChecksTheSame() throws Exception {
    List<Operation> ops =
        RegisterSimulator.builder()
            .seed(3)
            .clients(4)
            .operations(500)
            .keys(2)
            .build()
            .run()
            .history();
    StringWriter out = new StringWriter();
    HistoryJson.write(ops, out);
    List<Operation> back = HistoryJson.read(new StringReader(out.toString()));
    assertThat(LinearizabilityChecker.create().check(back).verdict())
        .isEqualTo(Verdict.LINEARIZABLE);
  }
}
