package io.cleave.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cleave.server.config.NodeAddress;
import io.cleave.server.config.NodeConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code deploy/kubernetes/cleave.yaml} agrees with the server. The manifest is read into fabric8's
 * typed Kubernetes model; the StatefulSet's container arguments are expanded for one pod as
 * Kubernetes expands them ({@code $(POD_NAME)} and the other variables of the container's
 * environment, downward API included) and parsed by {@link KvServerMain} exactly as a node parses
 * them, and the node's resulting {@link NodeConfig} is checked against the manifest's ports, DNS
 * names, volumes and probes. No cluster, no sockets.
 *
 * <p>In package {@code io.cleave.server} for {@link KvServerMain#config()}, which is
 * package-private.
 */
class DeployManifestTest {
  private static final Path MANIFEST = Path.of("deploy", "kubernetes", "cleave.yaml");
  private static final Path DOCKERFILE = Path.of("deploy", "Dockerfile");

  /** The default cluster domain: the kubelet writes POD.SUBDOMAIN.NS.svc.DOMAIN to /etc/hosts. */
  private static final String CLUSTER_DOMAIN = "cluster.local";

  /** A picocli default taken from the environment: {@code ${env:CLEAVE_X:-default}}. */
  private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+):-");

  private static Path root;
  private static List<HasMetadata> objects;
  private static StatefulSet statefulSet;
  private static PodSpec pod;
  private static Container container;
  private static Service headless;

  @BeforeAll
  static void loadManifest() throws IOException {
    root = repositoryRoot();
    objects = load(root.resolve(MANIFEST));
    List<StatefulSet> statefulSets = ofKind(StatefulSet.class);
    assertThat(statefulSets).as("StatefulSets in %s", MANIFEST).hasSize(1);
    statefulSet = statefulSets.get(0);
    pod = statefulSet.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers()).as("containers of the node pod").hasSize(1);
    container = pod.getContainers().get(0);
    headless = service(statefulSet.getSpec().getServiceName());
  }

  @Test
  void threeReplicasStartTogether() {
    assertThat(statefulSet.getSpec().getReplicas()).isEqualTo(3);
    assertThat(statefulSet.getSpec().getPodManagementPolicy())
        .as("the 3 bootstrap nodes hold the meta shard and must all come up together")
        .isEqualTo("Parallel");
    assertThat(podLabels())
        .containsAllEntriesOf(statefulSet.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void theGoverningServiceIsHeadlessAndPublishesPodsBeforeTheyAreReady() {
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(headless.getSpec().getPublishNotReadyAddresses())
        .as("peers must resolve each other while bootstrapping, before any of them is ready")
        .isTrue();
    assertThat(podLabels()).containsAllEntriesOf(headless.getSpec().getSelector());
    for (ServicePort port : headless.getSpec().getPorts()) {
      assertThat(containerPort(port.getTargetPort()))
          .as("headless service port %s", port.getName())
          .isEqualTo(port.getPort());
    }
  }

  @Test
  void theClientServiceReachesTheClientAndMetricsPortsOfTheNodes() {
    NodeConfig config = configOf(1, "default");
    List<Service> clientServices =
        ofKind(Service.class).stream().filter(s -> s != headless).toList();

    assertThat(clientServices).hasSize(1);
    Service client = clientServices.get(0);
    assertThat(client.getSpec().getClusterIP()).isNotEqualTo("None");
    assertThat(podLabels()).containsAllEntriesOf(client.getSpec().getSelector());
    Map<Integer, Integer> targets =
        client.getSpec().getPorts().stream()
            .collect(Collectors.toMap(ServicePort::getPort, p -> containerPort(p.getTargetPort())));
    assertThat(targets)
        .containsEntry(7001, config.self().clientPort())
        .containsEntry(9101, config.metricsPort());
  }

  @Test
  void containerPortsAreThePortsTheNodeListensOn() {
    NodeConfig config = configOf(1, "default");

    assertThat(containerPort("client")).isEqualTo(config.self().clientPort());
    assertThat(containerPort("raft")).isEqualTo(config.self().raftPort());
    assertThat(containerPort("metrics")).isEqualTo(config.metricsPort());
  }

  /** The test the manifest exists for: what pod cleave-1 runs, parsed as the node parses it. */
  @Test
  void podCleave1GetsItsOwnNameAndTheThreeBootstrapPodsFromTheManifest() {
    String podName = statefulSet.getMetadata().getName() + "-1";

    NodeConfig config = configOf(1, "default");

    assertThat(podName).isEqualTo("cleave-1");
    assertThat(config.self())
        .isEqualTo(
            new NodeAddress(
                "cleave-1",
                "cleave-1.cleave-headless.default.svc.cluster.local",
                containerPort("raft"),
                containerPort("client")));
    assertThat(config.self().host())
        .as("--host must be the name the kubelet writes into the pod's /etc/hosts")
        .isEqualTo(podDnsName(podName, "default"));
    assertThat(config.initialCluster()).containsExactlyElementsOf(bootstrapNodes("default"));
    assertThat(config.initialCluster()).contains(config.self());
    assertThat(config.metaMembers())
        .as("the meta shard's 3 replicas are the 3 bootstrap pods")
        .containsExactlyElementsOf(bootstrapNodes("default"));
    assertThat(config.metricsPort()).isEqualTo(containerPort("metrics"));
    assertThat(config.listenHost())
        .as("nodes listen on every interface, so port-forward and the kubelet reach them")
        .isEqualTo("0.0.0.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"default", "cleave-prod"})
  void everyReplicaIsItsOwnBootstrapNodeInAnyNamespace(String namespace) {
    int replicas = statefulSet.getSpec().getReplicas();

    List<NodeAddress> selves =
        IntStream.range(0, replicas).mapToObj(i -> configOf(i, namespace).self()).toList();

    assertThat(selves).containsExactlyElementsOf(bootstrapNodes(namespace));
    assertThat(configOf(0, namespace).initialCluster())
        .containsExactlyElementsOf(configOf(2, namespace).initialCluster());
  }

  @Test
  void theDataDirectoryIsOnTheVolumeClaimTemplatesVolume() {
    NodeConfig config = configOf(1, "default");
    List<PersistentVolumeClaim> claims = statefulSet.getSpec().getVolumeClaimTemplates();

    assertThat(claims).hasSize(1);
    PersistentVolumeClaim claim = claims.get(0);
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
    assertThat(claim.getSpec().getResources().getRequests()).containsKey("storage");
    List<VolumeMount> mounts =
        container.getVolumeMounts().stream()
            .filter(m -> m.getName().equals(claim.getMetadata().getName()))
            .toList();
    assertThat(mounts).hasSize(1);
    assertThat(config.dataDir()).isAbsolute().startsWithRaw(Path.of(mounts.get(0).getMountPath()));
    assertThat(pod.getVolumes())
        .as("a pod volume named like the claim template would shadow it")
        .noneMatch(v -> v.getName().equals(claim.getMetadata().getName()));
  }

  @Test
  void theDisruptionBudgetLetsOneNodeOfTheStatefulSetGoAtATime() {
    List<PodDisruptionBudget> budgets = ofKind(PodDisruptionBudget.class);

    assertThat(budgets).hasSize(1);
    PodDisruptionBudget budget = budgets.get(0);
    IntOrString maxUnavailable = budget.getSpec().getMaxUnavailable();
    assertThat(maxUnavailable).isNotNull();
    assertThat(maxUnavailable.getStrVal()).as("a count, not a percentage").isNull();
    assertThat(maxUnavailable.getIntVal())
        .as("a Raft group of 3 keeps its majority with 1 replica away")
        .isEqualTo(1);
    assertThat(budget.getSpec().getMinAvailable()).isNull();
    assertThat(budget.getSpec().getSelector().getMatchExpressions()).isNullOrEmpty();
    assertThat(budget.getSpec().getSelector().getMatchLabels())
        .isEqualTo(statefulSet.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void probesTargetDeclaredPortsTheNodeListensOn() {
    NodeConfig config = configOf(1, "default");
    List<Integer> listening =
        List.of(config.self().clientPort(), config.self().raftPort(), config.metricsPort());

    Map<String, Probe> probes = new LinkedHashMap<>();
    probes.put("startupProbe", container.getStartupProbe());
    probes.put("readinessProbe", container.getReadinessProbe());
    probes.put("livenessProbe", container.getLivenessProbe());

    probes.forEach(
        (name, probe) -> {
          assertThat(probe).as(name).isNotNull();
          assertThat(probePort(probe)).as(name).isIn(listening);
        });
  }

  @Test
  void theNodeRunsAsANonRootUserThatOwnsItsVolume() {
    PodSecurityContext security = pod.getSecurityContext();

    assertThat(security.getRunAsNonRoot()).isTrue();
    assertThat(security.getRunAsUser()).isNotNull().isPositive();
    assertThat(security.getFsGroup()).as("makes the volume writable for the user").isPositive();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    if (Boolean.TRUE.equals(container.getSecurityContext().getReadOnlyRootFilesystem())) {
      assertThat(container.getVolumeMounts())
          .as("the JVM and RocksDB unpack native libraries into /tmp")
          .anyMatch(m -> m.getMountPath().equals("/tmp"));
    }
  }

  @Test
  void theContainerRunsTheImagesServerEntrypointWithBoundedMemory() throws IOException {
    assertThat(container.getCommand())
        .as("args are appended to the image's ENTRYPOINT, which runs KvServerMain")
        .isNullOrEmpty();
    assertThat(Files.readAllLines(root.resolve(DOCKERFILE)))
        .filteredOn(line -> line.startsWith("ENTRYPOINT"))
        .singleElement()
        .asString()
        .contains("io.cleave.server.KvServerMain");
    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(container.getResources().getLimits()).containsKey("memory");
    assertThat(environment(1, "default").get("JAVA_TOOL_OPTIONS"))
        .as("the heap is sized below the memory limit: RocksDB lives off the heap")
        .containsAnyOf("-XX:MaxRAMPercentage=", "-Xmx");
    assertThat(pod.getTerminationGracePeriodSeconds())
        .as("time to drain gRPC calls (5 s) and close Raft groups and RocksDB")
        .isGreaterThanOrEqualTo(30L);
  }

  @Test
  void serviceVariablesCannotShadowTheNodesEnvironmentDefaults() {
    assertThat(pod.getEnableServiceLinks())
        .as("a Service named cleave-client would set CLEAVE_CLIENT_PORT=tcp://...")
        .isFalse();
  }

  @Test
  void replicasPreferDifferentMachines() {
    List<WeightedPodAffinityTerm> terms =
        pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();

    assertThat(terms)
        .anySatisfy(
            t -> {
              assertThat(t.getPodAffinityTerm().getTopologyKey())
                  .isEqualTo("kubernetes.io/hostname");
              assertThat(podLabels())
                  .containsAllEntriesOf(t.getPodAffinityTerm().getLabelSelector().getMatchLabels());
            });
  }

  @Test
  void theCliInThePodDefaultsToTheBootstrapNodesClientAddresses() {
    assertThat(environment(0, "default").get("CLEAVE_ENDPOINTS"))
        .isEqualTo(
            bootstrapNodes("default").stream()
                .map(NodeAddress::clientAddress)
                .collect(Collectors.joining(",")));
  }

  /**
   * No field outside the Kubernetes API: the model keeps a misspelt field ({@code readinesProbe})
   * in {@code additionalProperties}, where the API server would drop it or refuse the object.
   */
  @Test
  void everyFieldOfTheManifestIsAFieldOfTheKubernetesApi() throws IllegalAccessException {
    List<String> unknown = new ArrayList<>();
    for (HasMetadata object : objects) {
      unknownFields(object, object.getKind() + " " + object.getMetadata().getName(), unknown);
    }

    assertThat(unknown).isEmpty();
  }

  private static void unknownFields(Object value, String path, List<String> unknown)
      throws IllegalAccessException {
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        unknownFields(list.get(i), path + "[" + i + "]", unknown);
      }
    } else if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), unknown);
      }
    } else if (value != null && value.getClass().getName().startsWith("io.fabric8.kubernetes.")) {
      for (Class<?> type = value.getClass(); type != Object.class; type = type.getSuperclass()) {
        for (Field field : type.getDeclaredFields()) {
          if (Modifier.isStatic(field.getModifiers())) {
            continue;
          }
          field.setAccessible(true);
          Object child = field.get(value);
          if (field.getName().equals("additionalProperties")) {
            ((Map<?, ?>) child).keySet().forEach(k -> unknown.add(path + "." + k));
          } else {
            unknownFields(child, path + "." + field.getName(), unknown);
          }
        }
      }
    }
  }

  @Test
  void kubernetesVariableExpansionIsModelledAsKubernetesDoesIt() {
    Map<String, String> vars = Map.of("A", "x", "B", "y");

    assertThat(expand("$(A).$(B)", vars)).isEqualTo("x.y");
    assertThat(expand("$$(A) $(C) $A $", vars)).isEqualTo("$(A) $(C) $A $");
    assertThat(expand("$(A", vars)).isEqualTo("$(A");
  }

  // --- the node's command line, as Kubernetes builds it for one pod ------------------------------

  /** The configuration pod {@code <statefulset>-<ordinal>} in {@code namespace} starts with. */
  private static NodeConfig configOf(int ordinal, String namespace) {
    List<String> args = commandLine(ordinal, namespace);
    KvServerMain main = new KvServerMain();
    new CommandLine(main).parseArgs(args.toArray(String[]::new));
    return main.config();
  }

  /**
   * The arguments the node gets: the container's args with the environment's variables expanded,
   * plus, for an option not given as an argument, the container variable picocli would take its
   * default from (a test cannot set the environment picocli reads, so it is passed as the option).
   */
  private static List<String> commandLine(int ordinal, String namespace) {
    Map<String, String> env = environment(ordinal, namespace);
    List<String> args = new ArrayList<>();
    for (String arg : container.getArgs() == null ? List.<String>of() : container.getArgs()) {
      String expanded = expand(arg, env);
      assertThat(expanded).as("an unknown variable in %s", arg).doesNotContain("$(");
      args.add(expanded);
    }
    for (Field field : KvServerMain.class.getDeclaredFields()) {
      CommandLine.Option option = field.getAnnotation(CommandLine.Option.class);
      if (option == null) {
        continue;
      }
      Matcher m = ENV_DEFAULT.matcher(option.defaultValue());
      boolean given =
          args.stream()
              .anyMatch(
                  a ->
                      Arrays.stream(option.names())
                          .anyMatch(n -> a.equals(n) || a.startsWith(n + "=")));
      if (m.find() && env.containsKey(m.group(1)) && !given) {
        args.add(option.names()[0] + "=" + env.get(m.group(1)));
      }
    }
    return args;
  }

  /** The container's environment in pod {@code <statefulset>-<ordinal>} of {@code namespace}. */
  private static Map<String, String> environment(int ordinal, String namespace) {
    String podName = statefulSet.getMetadata().getName() + "-" + ordinal;
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar var : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
      String value;
      if (var.getValueFrom() == null) {
        // A value may use the variables defined before it, and only those.
        value = expand(var.getValue() == null ? "" : var.getValue(), env);
      } else if (var.getValueFrom().getFieldRef() != null) {
        String path = var.getValueFrom().getFieldRef().getFieldPath();
        value =
            switch (path) {
              case "metadata.name" -> podName;
              case "metadata.namespace" -> namespace;
              case "status.podIP" -> "10.244.0." + (10 + ordinal);
              default -> fail("downward API field not modelled by this test: " + path);
            };
      } else {
        value = fail("variable source not modelled by this test: " + var);
      }
      env.put(var.getName(), value);
    }
    return env;
  }

  /**
   * Kubernetes' expansion of {@code $(VAR)} in args and env values: a known variable is replaced,
   * an unknown reference is left as it is, {@code $$} is a literal {@code $}.
   */
  static String expand(String input, Map<String, String> vars) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < input.length()) {
      char c = input.charAt(i);
      if (c != '$' || i + 1 == input.length()) {
        out.append(c);
        i++;
      } else if (input.charAt(i + 1) == '$') {
        out.append('$');
        i += 2;
      } else if (input.charAt(i + 1) == '(' && input.indexOf(')', i + 2) >= 0) {
        int close = input.indexOf(')', i + 2);
        String name = input.substring(i + 2, close);
        out.append(vars.getOrDefault(name, input.substring(i, close + 1)));
        i = close + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  // --- the manifest
  // -------------------------------------------------------------------------------

  /** The nodes of --initial-cluster as the manifest implies them: pods 0-2, their names, ports. */
  private static List<NodeAddress> bootstrapNodes(String namespace) {
    String name = statefulSet.getMetadata().getName();
    return IntStream.range(0, 3)
        .mapToObj(
            i ->
                new NodeAddress(
                    name + "-" + i,
                    podDnsName(name + "-" + i, namespace),
                    containerPort("raft"),
                    containerPort("client")))
        .toList();
  }

  private static String podDnsName(String podName, String namespace) {
    return podName
        + "."
        + statefulSet.getSpec().getServiceName()
        + "."
        + namespace
        + ".svc."
        + CLUSTER_DOMAIN;
  }

  private static Map<String, String> podLabels() {
    return statefulSet.getSpec().getTemplate().getMetadata().getLabels();
  }

  private static int containerPort(String name) {
    return container.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseGet(() -> fail("no container port named " + name));
  }

  /** A port by name or number; a number must be one the container declares. */
  private static int containerPort(IntOrString port) {
    assertThat(port).isNotNull();
    if (port.getStrVal() != null) {
      return containerPort(port.getStrVal());
    }
    assertThat(container.getPorts())
        .extracting(ContainerPort::getContainerPort)
        .contains(port.getIntVal());
    return port.getIntVal();
  }

  private static int probePort(Probe probe) {
    if (probe.getTcpSocket() != null) {
      return containerPort(probe.getTcpSocket().getPort());
    } else if (probe.getHttpGet() != null) {
      return containerPort(probe.getHttpGet().getPort());
    } else if (probe.getGrpc() != null) {
      return containerPort(new IntOrString(probe.getGrpc().getPort()));
    }
    return fail("probe without a port: " + probe);
  }

  private static Service service(String name) {
    return ofKind(Service.class).stream()
        .filter(s -> s.getMetadata().getName().equals(name))
        .findFirst()
        .orElseGet(() -> fail("no Service named " + name + " (the StatefulSet's serviceName)"));
  }

  private static <T extends HasMetadata> List<T> ofKind(Class<T> kind) {
    return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  /** Every document of a multi-document YAML file, as fabric8's typed objects. */
  private static List<HasMetadata> load(Path file) throws IOException {
    List<HasMetadata> loaded = new ArrayList<>();
    try (MappingIterator<KubernetesResource> documents =
        new YAMLMapper().readerFor(KubernetesResource.class).readValues(file.toFile())) {
      while (documents.hasNext()) {
        KubernetesResource resource = documents.next();
        if (resource == null) {
          continue; // an empty document
        }
        assertThat(resource)
            .as("a kind of the manifest this test knows nothing about")
            .isInstanceOfAny(Service.class, StatefulSet.class, PodDisruptionBudget.class);
        loaded.add((HasMetadata) resource);
      }
    }
    return loaded;
  }

  /** The checkout's root: Maven runs the tests in kv-testing, an IDE may run them elsewhere. */
  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(MANIFEST))) {
        return dir;
      }
    }
    return fail("no " + MANIFEST + " in the working directory or above it");
  }
}
