package io.cleave.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeAddressTest {
  @Test
  void parsesIdHostAndBothPorts() {
    NodeAddress address = NodeAddress.parse(" n1=10.0.0.5:7101:7001 ");

    assertThat(address).isEqualTo(new NodeAddress("n1", "10.0.0.5", 7101, 7001));
    assertThat(address.raftAddress()).isEqualTo("10.0.0.5:7101");
    assertThat(address.clientAddress()).isEqualTo("10.0.0.5:7001");
  }

  @Test
  void toStringIsTheParsedForm() {
    NodeAddress address = new NodeAddress("node-2.a_b", "host", 0, 65535);

    assertThat(NodeAddress.parse(address.toString())).isEqualTo(address);
  }

  @ParameterizedTest
  @ValueSource(strings = {"n1", "n1=host", "n1=host:1", "host:1:2", "n1=host:1:2:3", ""})
  void refusesSpecsOfTheWrongShape(String spec) {
    assertThatThrownBy(() -> NodeAddress.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected id=host:raftPort:clientPort");
  }

  @Test
  void refusesPortsThatAreNotNumbers() {
    assertThatThrownBy(() -> NodeAddress.parse("n1=host:raft:7001"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ports must be numbers");
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 65536})
  void refusesPortsOutOfRange(int port) {
    assertThatThrownBy(() -> new NodeAddress("n1", "h", port, 1))
        .hasMessageContaining("ports must be 0-65535 for node n1");
    assertThatThrownBy(() -> new NodeAddress("n1", "h", 1, port))
        .hasMessageContaining("ports must be 0-65535");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-n1", ".n1", "n 1", "n1/2", "n1=x"})
  void refusesBadNodeIds(String id) {
    assertThatThrownBy(() -> new NodeAddress(id, "h", 1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node id must be 1-63");
  }

  @Test
  void nodeIdsMayBe63CharactersButNotMore() {
    String longest = "a".repeat(63);

    assertThat(new NodeAddress(longest, "h", 1, 2).nodeId()).isEqualTo(longest);
    assertThatThrownBy(() -> new NodeAddress(longest + "a", "h", 1, 2))
        .hasMessageContaining("node id must be 1-63");
    assertThatThrownBy(() -> new NodeAddress(null, "h", 1, 2))
        .hasMessageContaining("node id must be 1-63");
  }
}
