package io.cleave.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private network for a {@link ProcessCluster}: each node runs in its own network namespace on a
 * bridge, so that the links between nodes can be cut with iptables (network partitions). Needs
 * root, {@code ip} (iproute2) and {@code iptables}; {@link #unavailableReason()} says why not.
 *
 * <p>Topology (N nodes), all names unique to this JVM and run ({@code clv<pid>_<k>...}):
 *
 * <pre>
 *   root namespace (test JVM: clients, nemesis)   10.201.0.1/24 on veth  clv..h
 *        |
 *   namespace clv..sw:  bridge br0  ---- clv..1b ---- namespace clv..n1: clv..1  10.201.0.11/24
 *                                   ---- clv..2b ---- namespace clv..n2: clv..2  10.201.0.12/24
 *                                   ---- ...
 * </pre>
 *
 * Node namespaces have no default route: a node can reach its peers and the test JVM (10.201.0.1),
 * nothing else. Only the one veth end {@code clv..h} lives in the root namespace, with the route
 * for 10.201.0.0/24 on it. As the subnet is fixed, one such network exists on a machine at a time:
 * {@link #create} waits for a file lock ({@code /tmp/cleave-netns.lock}) held until {@link
 * #close()}.
 *
 * <p>Faults are iptables DROP rules (a black hole, both directions) in the node namespaces: {@link
 * #cut(int, int)} one node-to-node link, {@link #cutFromClients(int)} a node from the test JVM,
 * {@link #isolate(int, boolean)} a node from all its peers; {@link #heal()} flushes all rules.
 *
 * <p>Cleanup: {@link #close()} and a JVM shutdown hook delete every namespace (the veths and the
 * bridge die with them) and the root-side veth. {@link #create} first deletes leftovers of runs
 * whose JVM is gone (same name pattern, dead pid).
 */
public final class NetnsNetwork implements ProcessCluster.Launcher, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NetnsNetwork.class);
  private static final String SUBNET = "10.201.0.";
  private static final String CLIENT_ADDRESS = SUBNET + "1";
  private static final Pattern OURS = Pattern.compile("^clv(\\d+)_\\d+(sw|n\\d+|h)$");
  private static final Path LOCK_FILE = Path.of("/tmp/cleave-netns.lock");
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final String prefix;
  private final int size;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Thread shutdownHook;
  private final Set<String> rules = new TreeSet<>();
  private boolean closed;

  private NetnsNetwork(String prefix, int size, FileChannel lockChannel, FileLock lock) {
    this.prefix = prefix;
    this.size = size;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.shutdownHook = new Thread(this::teardown, "netns-network-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Why namespaces cannot be used here (not root, no {@code ip} or {@code iptables}, namespace
   * creation refused), or empty when they can. Creates and deletes one probe namespace.
   */
  public static Optional<String> unavailableReason() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return Optional.of("network namespaces need Linux");
    }
    try {
      Result id = exec(List.of("id", "-u"));
      if (!id.output.trim().equals("0")) {
        return Optional.of("network namespaces need root (id -u = " + id.output.trim() + ")");
      }
      Result iptables = exec(List.of("iptables", "--version"));
      if (iptables.code != 0) {
        return Optional.of("iptables is missing (apt-get install -y iptables): " + iptables.output);
      }
      String probe = "clv" + ProcessHandle.current().pid() + "_probe";
      Result add = exec(List.of("ip", "netns", "add", probe));
      exec(List.of("ip", "netns", "del", probe));
      if (add.code != 0) {
        return Optional.of("ip netns add failed: " + add.output.trim());
      }
      return Optional.empty();
    } catch (UncheckedIOException e) {
      return Optional.of("cannot run ip/iptables: " + e.getMessage());
    }
  }

  /** Builds the network for {@code size} nodes (at most 200); waits for the machine-wide lock. */
  public static NetnsNetwork create(int size) {
    if (size < 1 || size > 200) {
      throw new IllegalArgumentException("size " + size);
    }
    FileChannel channel = null;
    FileLock lock = null;
    try {
      channel = FileChannel.open(LOCK_FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
      while ((lock = tryLock(channel)) == null) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("another test holds " + LOCK_FILE + " for 15 min");
        }
        Thread.sleep(500); // another JVM's cluster uses the subnet: wait for it
      }
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(channel);
      throw new IllegalStateException("interrupted waiting for " + LOCK_FILE, e);
    }
    String prefix = "clv" + ProcessHandle.current().pid() + "_" + RUNS.getAndIncrement();
    NetnsNetwork network = new NetnsNetwork(prefix, size, channel, lock);
    try {
      deleteLeftovers();
      network.build();
      return network;
    } catch (RuntimeException | Error e) {
      network.close();
      throw e;
    }
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null; // this JVM's own other network holds it
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to do
      }
    }
  }

  // Namespaces and root veths of runs whose JVM is gone; ours are recreated from scratch.
  private static void deleteLeftovers() {
    for (String line : exec(List.of("ip", "netns", "list")).output.split("\n")) {
      String name = line.trim().split("\\s+")[0];
      if (isLeftover(name)) {
        LOG.info("deleting leftover namespace {}", name);
        exec(List.of("ip", "netns", "del", name));
      }
    }
    for (String line : exec(List.of("ip", "-o", "link", "show")).output.split("\n")) {
      String[] fields = line.split(":\\s+");
      if (fields.length > 1) {
        String name = fields[1].split("@")[0];
        if (isLeftover(name)) {
          LOG.info("deleting leftover link {}", name);
          exec(List.of("ip", "link", "del", name));
        }
      }
    }
    // The lock is ours, so no live network uses the subnet; anything else on it is not ours.
    String routes =
        exec(List.of("ip", "-4", "route", "show", "to", "match", CLIENT_ADDRESS)).output;
    if (routes.contains(SUBNET + "0/24")) {
      throw new IllegalStateException(
          "the root namespace already routes " + SUBNET + "0/24 (not ours): " + routes.trim());
    }
  }

  private static boolean isLeftover(String name) {
    Matcher m = OURS.matcher(name);
    if (!m.matches()) {
      return false;
    }
    long pid = Long.parseLong(m.group(1));
    return pid == ProcessHandle.current().pid()
        || ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
  }

  private String switchNs() {
    return prefix + "sw";
  }

  /** The namespace node {@code index} runs in. */
  public String namespace(int index) {
    return prefix + "n" + (index + 1);
  }

  private String hostVeth() {
    return prefix + "h";
  }

  /** The address of node {@code index} (10.201.0.11 for index 0). */
  public String address(int index) {
    return SUBNET + (11 + index);
  }

  /** The test JVM's address on the bridge (10.201.0.1). */
  public static String clientAddress() {
    return CLIENT_ADDRESS;
  }

  private void build() {
    String sw = switchNs();
    run("ip", "netns", "add", sw);
    run("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
    run("ip", "-n", sw, "link", "set", "br0", "up");
    run("ip", "-n", sw, "link", "set", "lo", "up");
    for (int i = 0; i < size; i++) {
      String ns = namespace(i);
      String veth = prefix + (i + 1);
      String peer = veth + "b";
      run("ip", "netns", "add", ns);
      run("ip", "link", "add", veth, "type", "veth", "peer", "name", peer);
      run("ip", "link", "set", veth, "netns", ns);
      run("ip", "link", "set", peer, "netns", sw);
      run("ip", "-n", sw, "link", "set", peer, "master", "br0");
      run("ip", "-n", sw, "link", "set", peer, "up");
      run("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", veth);
      run("ip", "-n", ns, "link", "set", veth, "up");
      run("ip", "-n", ns, "link", "set", "lo", "up");
    }
    String host = hostVeth();
    String hostPeer = host + "b";
    run("ip", "link", "add", host, "type", "veth", "peer", "name", hostPeer);
    run("ip", "link", "set", hostPeer, "netns", sw);
    run("ip", "-n", sw, "link", "set", hostPeer, "master", "br0");
    run("ip", "-n", sw, "link", "set", hostPeer, "up");
    run("ip", "addr", "add", CLIENT_ADDRESS + "/24", "dev", host);
    run("ip", "link", "set", host, "up");
    LOG.info("network {}: {} node namespaces on {}0/24", prefix, size, SUBNET);
  }

  // ------------------------------------------------------------------------------------ launcher

  @Override
  public String host(int index) {
    return address(index);
  }

  @Override
  public List<String> command(int index, List<String> javaCommand) {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace(index)));
    command.addAll(javaCommand);
    return command;
  }

  /** This network as a launcher that also sets {@code environment} for each node. */
  public ProcessCluster.Launcher withEnvironment(
      java.util.function.IntFunction<Map<String, String>> environment) {
    NetnsNetwork self = this;
    return new ProcessCluster.Launcher() {
      @Override
      public String host(int index) {
        return self.host(index);
      }

      @Override
      public List<String> command(int index, List<String> javaCommand) {
        return self.command(index, javaCommand);
      }

      @Override
      public Map<String, String> environment(int index) {
        return environment.apply(index);
      }
    };
  }

  // -------------------------------------------------------------------------------------- faults

  /** Drops all traffic between nodes {@code a} and {@code b}, both directions. */
  public synchronized void cut(int a, int b) {
    drop(a, address(b));
    drop(b, address(a));
  }

  /**
   * Drops all traffic between node {@code index} and the test JVM (clients, the nemesis's admin
   * calls, {@link ProcessCluster#awaitReady()}): to the clients the node is down, to its peers not.
   */
  public synchronized void cutFromClients(int index) {
    drop(index, CLIENT_ADDRESS);
  }

  /**
   * Cuts node {@code index} off from every other node; if {@code fromClientsToo}, from the test JVM
   * as well (a pulled cable). Otherwise clients still reach it: an isolated leader keeps getting
   * requests and must not answer them from a stale state.
   */
  public synchronized void isolate(int index, boolean fromClientsToo) {
    for (int other = 0; other < size; other++) {
      if (other != index) {
        cut(index, other);
      }
    }
    if (fromClientsToo) {
      cutFromClients(index);
    }
  }

  /**
   * Splits the nodes into the given groups: every link between nodes of different groups is cut;
   * nodes in no group are left connected to everyone. Clients reach every node.
   */
  public synchronized void partition(Collection<? extends Collection<Integer>> groups) {
    List<List<Integer>> list = groups.stream().map(g -> List.copyOf(g)).toList();
    for (int g = 0; g < list.size(); g++) {
      for (int h = g + 1; h < list.size(); h++) {
        for (int a : list.get(g)) {
          for (int b : list.get(h)) {
            cut(a, b);
          }
        }
      }
    }
  }

  private void drop(int index, String peer) {
    String ns = namespace(index);
    run("ip", "netns", "exec", ns, "iptables", "-w", "-A", "INPUT", "-s", peer, "-j", "DROP");
    run("ip", "netns", "exec", ns, "iptables", "-w", "-A", "OUTPUT", "-d", peer, "-j", "DROP");
    rules.add("n" + (index + 1) + " drops " + peer);
  }

  /** The DROP rules in force, e.g. {@code n1 drops 10.201.0.12}. */
  public synchronized Set<String> rules() {
    return new LinkedHashSet<>(rules);
  }

  /** Removes every DROP rule: all nodes reach each other and the test JVM again. */
  public synchronized void heal() {
    for (int i = 0; i < size; i++) {
      run("ip", "netns", "exec", namespace(i), "iptables", "-w", "-F", "INPUT");
      run("ip", "netns", "exec", namespace(i), "iptables", "-w", "-F", "OUTPUT");
    }
    rules.clear();
  }

  // ------------------------------------------------------------------------------------- cleanup

  /**
   * Deletes the namespaces, the bridge and veths (with them) and releases the lock. Close the
   * {@link ProcessCluster} first; a node still running keeps its namespace alive until it exits.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    teardown();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or ran.
    }
  }

  // Runs from the shutdown hook too: must not throw.
  private void teardown() {
    try {
      for (int i = 0; i < size; i++) {
        exec(List.of("ip", "netns", "del", namespace(i)));
      }
      exec(List.of("ip", "netns", "del", switchNs()));
      exec(List.of("ip", "link", "del", hostVeth())); // gone with its peer, unless deleted later
      LOG.info("network {} deleted", prefix);
    } catch (RuntimeException e) {
      LOG.warn("could not delete network {}", prefix, e);
    } finally {
      try {
        if (lock.isValid()) {
          lock.release();
        }
        lockChannel.close();
      } catch (IOException e) {
        LOG.warn("could not release {}", LOCK_FILE, e);
      }
    }
  }

  // ------------------------------------------------------------------------------------ commands

  private record Result(int code, String output) {}

  private static void run(String... command) {
    Result r = exec(List.of(command));
    if (r.code != 0) {
      throw new IllegalStateException(
          String.join(" ", command) + " failed (" + r.code + "): " + r.output.trim());
    }
  }

  private static Result exec(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out: " + String.join(" ", command));
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }
}
