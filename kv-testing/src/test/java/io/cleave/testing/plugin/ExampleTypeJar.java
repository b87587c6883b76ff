package io.cleave.testing.plugin;

import io.cleave.api.ValuePerKey;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * The example zset type, loaded from its jar the way a node loads it rather than from the test
 * classpath (where it must not be, or the plugin directory would go untested). Its argument and
 * result classes are therefore reached by reflection: {@code command("add", "ann", 10L)} calls
 * {@code ZCommand.add("ann", 10L)} in the jar.
 */
final class ExampleTypeJar implements AutoCloseable {
  static final String PACKAGE = "io.cleave.examples.types.";

  private final URLClassLoader loader;
  private final ValuePerKey<Object, Object, Object, Object> type;

  private ExampleTypeJar(URLClassLoader loader, ValuePerKey<Object, Object, Object, Object> type) {
    this.loader = loader;
    this.type = type;
  }

  /** Loads the type named {@code name} from the jars in {@code pluginDir}. */
  @SuppressWarnings("unchecked")
  static ExampleTypeJar load(Path pluginDir, String name) throws IOException {
    List<Path> jars = jars(pluginDir);
    URLClassLoader loader =
        new URLClassLoader(
            jars.stream().map(ExampleTypeJar::url).toArray(java.net.URL[]::new),
            ExampleTypeJar.class.getClassLoader());
    for (ValuePerKey<?, ?, ?, ?> type : ServiceLoader.load(ValuePerKey.class, loader)) {
      if (type.name().equals(name)) {
        return new ExampleTypeJar(loader, (ValuePerKey<Object, Object, Object, Object>) type);
      }
    }
    loader.close();
    throw new IllegalStateException("no value type '" + name + "' in " + jars);
  }

  static List<Path> jars(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
    }
  }

  private static java.net.URL url(Path jar) {
    try {
      return jar.toUri().toURL();
    } catch (java.net.MalformedURLException e) {
      throw new IllegalArgumentException(e);
    }
  }

  ValuePerKey<Object, Object, Object, Object> type() {
    return type;
  }

  /** A command from the static factory {@code ZCommand.<factory>(args)}. */
  Object command(String factory, Object... args) {
    return callStatic("ZCommand", factory, args);
  }

  /** A query from the static factory {@code ZQuery.<factory>(args)}. */
  Object query(String factory, Object... args) {
    return callStatic("ZQuery", factory, args);
  }

  Object entry(String member, long score) {
    try {
      return loader
          .loadClass(PACKAGE + "ZEntry")
          .getConstructor(String.class, long.class)
          .newInstance(member, score);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  Object addMode(String name) {
    try {
      return Enum.valueOf((Class) loader.loadClass(PACKAGE + "ZCommand$AddMode"), name);
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code ZResult.asLong()}. */
  static long asLong(Object result) {
    return (Long) call(result, "asLong");
  }

  /** {@code ZResult.Absent}? */
  static boolean isAbsent(Object result) {
    return result.getClass().getName().equals(PACKAGE + "ZResult$Absent");
  }

  /** The entries of a {@code ZResult} or a {@code ZSet}, as "member=score". */
  static List<String> entries(Object resultOrSet) {
    String accessor =
        resultOrSet.getClass().getSimpleName().equals("ZSet") ? "entries" : "asEntries";
    List<String> out = new ArrayList<>();
    for (Object entry : (List<?>) call(resultOrSet, accessor)) {
      out.add(call(entry, "member") + "=" + call(entry, "score"));
    }
    return out;
  }

  private Object callStatic(String className, String name, Object... args) {
    try {
      for (Method method : loader.loadClass(PACKAGE + className).getDeclaredMethods()) {
        if (method.getName().equals(name)
            && Modifier.isStatic(method.getModifiers())
            && Modifier.isPublic(method.getModifiers())
            && accepts(method.getParameterTypes(), args)) {
          return method.invoke(null, args);
        }
      }
      throw new AssertionError("no " + className + "." + name + " for " + List.of(args));
    } catch (InvocationTargetException e) {
      throw rethrow(e);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static Object call(Object target, String name) {
    try {
      return target.getClass().getMethod(name).invoke(target);
    } catch (InvocationTargetException e) {
      throw rethrow(e);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static boolean accepts(Class<?>[] parameters, Object[] args) {
    if (parameters.length != args.length) {
      return false;
    }
    for (int i = 0; i < args.length; i++) {
      Class<?> p = parameters[i];
      Object a = args[i];
      boolean ok =
          p == long.class
              ? a instanceof Long || a instanceof Integer
              : p == int.class
                  ? a instanceof Integer
                  : p == boolean.class ? a instanceof Boolean : p.isInstance(a);
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static RuntimeException rethrow(InvocationTargetException e) {
    if (e.getCause() instanceof RuntimeException runtime) {
      return runtime; // e.g. IllegalArgumentException from a factory's validation
    }
    throw new AssertionError(e.getCause());
  }

  @Override
  public void close() throws IOException {
    loader.close();
  }
}
