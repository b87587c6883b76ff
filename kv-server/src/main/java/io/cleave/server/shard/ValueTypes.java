package io.cleave.server.shard;

import io.cleave.api.ValuePerKey;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The value types a node knows: the built-ins and every {@link ValuePerKey} found through {@link
 * ServiceLoader} in the jars of the plugin directory.
 */
public final class ValueTypes {
  private static final Logger LOG = LoggerFactory.getLogger(ValueTypes.class);

  private final Map<String, RawValueType> byName = new TreeMap<>();

  private ValueTypes() {}

  /** Loads the built-ins, {@code extra} types, and the types in {@code pluginDir}'s jars. */
  public static ValueTypes load(Optional<Path> pluginDir, List<ValuePerKey<?, ?, ?, ?>> extra)
      throws IOException {
    ValueTypes types = new ValueTypes();
    ClassLoader loader = ValueTypes.class.getClassLoader();
    if (pluginDir.isPresent() && Files.isDirectory(pluginDir.get())) {
      loader = new URLClassLoader(jarUrls(pluginDir.get()), loader);
    }
    for (ValuePerKey<?, ?, ?, ?> type : ServiceLoader.load(ValuePerKey.class, loader)) {
      types.add(type);
    }
    extra.forEach(types::add);
    LOG.info("value types: {}", types.byName.keySet());
    return types;
  }

  private static URL[] jarUrls(Path dir) throws IOException {
    List<URL> urls = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path jar : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".jar"))::iterator) {
        try {
          urls.add(jar.toUri().toURL());
        } catch (MalformedURLException e) {
          throw new IOException(e);
        }
      }
    }
    return urls.toArray(URL[]::new);
  }

  private void add(ValuePerKey<?, ?, ?, ?> type) {
    RawValueType previous = byName.putIfAbsent(type.name(), new RawValueType(type));
    if (previous != null) {
      LOG.warn("value type {} defined twice; keeping the first", type.name());
    }
  }

  public Optional<RawValueType> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public List<String> names() {
    return List.copyOf(byName.keySet());
  }
}
