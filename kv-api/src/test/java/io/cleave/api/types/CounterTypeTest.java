package io.cleave.api.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cleave.api.CommandContext;
import org.junit.jupiter.api.Test;

class CounterTypeTest {
  private final CounterType counter = new CounterType();
  private final CommandContext context = new CommandContext(0, 1);

  @Test
  void addsToAbsentKeyFromZero() {
    var outcome = counter.command(null, 0, new byte[] {1}, 5L, context);
    assertThat(outcome.result()).isEqualTo(5L);
    assertThat(outcome.nextValue()).isEqualTo(5L);
  }

  @Test
  void counterBackAtZeroIsDeleted() {
    var outcome = counter.command(3L, 8, new byte[] {1}, -3L, context);
    assertThat(outcome.result()).isZero();
    assertThat(outcome.nextValue()).isNull();
  }

  @Test
  void overflowFailsTheCommand() {
    assertThatThrownBy(() -> counter.command(Long.MAX_VALUE, 8, new byte[] {1}, 1L, context))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void codecRejectsWrongLength() {
    assertThatThrownBy(() -> counter.commandCodec().decode(new byte[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("8 bytes");
  }
}
