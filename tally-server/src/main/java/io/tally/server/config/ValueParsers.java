package io.tally.server.config;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The readers {@link ConfigKeys} builds its keys from: each turns a value's text into what the key
 * holds, or throws {@link IllegalArgumentException} — without a message when the key's {@code
 * allowed} text says it all, with one when there is more to say (which entry of a list). Stateless.
 */
final class ValueParsers {
  private ValueParsers() {}

  static Function<String, Integer> integer(int min, int max) {
    return longInteger(min, max).andThen(Long::intValue);
  }

  static Function<String, Long> longInteger(long min, long max) {
    return text -> {
      long n;
      try {
        n = Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        throw notAllowed();
      }
      if (n < min || n > max) {
        throw notAllowed();
      }
      return n;
    };
  }

  /** For on/off keys: allowed {@link ConfigKey#SWITCH_ALLOWED}. */
  static Function<String, Boolean> bool() {
    return choice("true", "false").andThen(Boolean::parseBoolean);
  }

  static Function<String, String> choice(String... allowed) {
    Set<String> set = Set.of(allowed);
    return text -> {
      if (!set.contains(text.trim())) {
        throw notAllowed();
      }
      return text.trim();
    };
  }

  static Function<String, String> nonEmpty() {
    return matching(".*\\S.*").andThen(String::trim);
  }

  static Function<String, String> matching(String regex) {
    Predicate<String> p = Pattern.compile(regex).asMatchPredicate();
    return text -> {
      if (!p.test(text)) {
        throw notAllowed();
      }
      return text;
    };
  }

  /** A duration as {@link #durationMillis} reads it: whole seconds as "10s", else "250ms". */
  static String describeMillis(long millis) {
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  /** A duration written 500ms, 10s, 2m or 1h, in milliseconds within [min, max]. */
  static Function<String, Long> durationMillis(long min, long max) {
    return text -> {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(\\d{1,12})(ms|s|m|h)").matcher(text.trim());
      if (!m.matches()) {
        throw notAllowed();
      }
      long n = Long.parseLong(m.group(1));
      long millis =
          switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n * 3_600_000;
          };
      if (millis < min || millis > max) {
        throw notAllowed();
      }
      return millis;
    };
  }

  /** An optional path to a file that exists and is readable (checked at startup). */
  static Function<String, Optional<Path>> optionalReadableFile() {
    return optional()
        .andThen(
            o ->
                o.map(
                    text -> {
                      Path p = Path.of(text);
                      if (!java.nio.file.Files.isRegularFile(p)
                          || !java.nio.file.Files.isReadable(p)) {
                        throw new IllegalArgumentException(
                            "no readable file " + p.toAbsolutePath());
                      }
                      return p;
                    }));
  }

  static Function<String, Optional<String>> optional() {
    return text -> text.isBlank() ? Optional.empty() : Optional.of(text.trim());
  }

  static long atLeast(long n, long min) {
    if (n < min) {
      throw notAllowed();
    }
    return n;
  }

  static int powerOfTwo(int n) {
    if (Integer.bitCount(n) != 1) {
      throw notAllowed();
    }
    return n;
  }

  static String consistencyLevels() {
    return "one of "
        + Arrays.stream(DefaultConsistencyLevel.values())
            .map(Enum::name)
            .collect(Collectors.joining(", "));
  }

  static DefaultConsistencyLevel consistency(String text) {
    try {
      return DefaultConsistencyLevel.valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw notAllowed();
    }
  }

  /** A value outside the key's allowed values; the key's {@code allowed} text says it all. */
  static IllegalArgumentException notAllowed() {
    return new IllegalArgumentException();
  }

  static Set<String> roles(List<String> names) {
    Set<String> known = Set.of("ingest", "processor", "materializer", "query");
    if (names.isEmpty() || !known.containsAll(names)) {
      throw notAllowed();
    }
    return Collections.unmodifiableSet(new LinkedHashSet<>(names));
  }

  static List<String> postgresUrls(List<String> entries) {
    for (String url : entries) {
      if (!url.startsWith("jdbc:postgresql://")) {
        throw new IllegalArgumentException(
            "'" + url + "' is not jdbc:postgresql://host:port/database");
      }
    }
    if (entries.stream().distinct().count() != entries.size()) {
      throw new IllegalArgumentException("a shard is listed twice");
    }
    return List.copyOf(entries);
  }

  /** A password: any text PostgreSQL's protocol can carry (no NUL). */
  static String password(String text) {
    if (text.indexOf('\0') >= 0) {
      throw notAllowed();
    }
    return text;
  }

  /** Replica URLs, one per shard, {@code none} for a shard without one. */
  static List<Optional<String>> postgresReplicaUrls(List<String> entries) {
    List<Optional<String>> out = new ArrayList<>();
    for (String entry : entries) {
      if (entry.equalsIgnoreCase("none")) {
        out.add(Optional.empty());
      } else if (entry.startsWith("jdbc:postgresql://")) {
        out.add(Optional.of(entry));
      } else {
        throw new IllegalArgumentException(
            "'" + entry + "' is neither jdbc:postgresql://host:port/database nor none");
      }
    }
    return List.copyOf(out);
  }

  static List<InetSocketAddress> hostPorts(List<String> entries) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String hp : entries) {
      int colon = hp.lastIndexOf(':');
      if (colon < 1) {
        throw new IllegalArgumentException("'" + hp + "' is not host:port");
      }
      int port;
      try {
        port = Integer.parseInt(hp.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + hp + "' has no port number");
      }
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException("port " + port + " is out of range");
      }
      out.add(new InetSocketAddress(hp.substring(0, colon), port));
    }
    return List.copyOf(out);
  }
}
