package io.cleave.server.config;

/**
 * Where a node listens: {@code id=host:raftPort:clientPort}, the form of {@code --initial-cluster}
 * entries.
 */
public record NodeAddress(String nodeId, String host, int raftPort, int clientPort) {
  public NodeAddress {
    if (nodeId == null || !nodeId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
      throw new IllegalArgumentException(
          "node id must be 1-63 letters, digits, '.', '_' or '-': " + nodeId);
    }
    if (raftPort < 0 || raftPort > 65535 || clientPort < 0 || clientPort > 65535) {
      throw new IllegalArgumentException("ports must be 0-65535 for node " + nodeId);
    }
  }

  public String raftAddress() {
    return host + ":" + raftPort;
  }

  public String clientAddress() {
    return host + ":" + clientPort;
  }

  /** Parses {@code id=host:raftPort:clientPort}. */
  public static NodeAddress parse(String spec) {
    String[] idAndRest = spec.trim().split("=", 2);
    String[] parts = idAndRest.length == 2 ? idAndRest[1].split(":") : new String[0];
    if (parts.length != 3) {
      throw new IllegalArgumentException(
          "expected id=host:raftPort:clientPort, got '" + spec + "'");
    }
    try {
      return new NodeAddress(
          idAndRest[0], parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ports must be numbers in '" + spec + "'", e);
    }
  }

  @Override
  public String toString() {
    return nodeId + "=" + host + ":" + raftPort + ":" + clientPort;
  }
}
