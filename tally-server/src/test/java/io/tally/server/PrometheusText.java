package io.tally.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed Prometheus text exposition (format 0.0.4), for tests: every sample by its series key,
 * {@code name{label="value",…}} with labels sorted by name (no braces without labels).
 */
final class PrometheusText {
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final Map<String, Double> samples = new TreeMap<>();

  PrometheusText(String text) {
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name;
      Map<String, String> labels = new TreeMap<>();
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        Matcher m = LABEL.matcher(line.substring(brace + 1, line.lastIndexOf('}')));
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      } else {
        name = line.substring(0, line.indexOf(' '));
      }
      samples.put(key(name, labels), Double.parseDouble(line.substring(space + 1)));
    }
  }

  static String key(String name, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return name;
    }
    StringBuilder b = new StringBuilder(name).append('{');
    new TreeMap<>(labels).forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
    b.setLength(b.length() - 1);
    return b.append('}').toString();
  }

  /** The sample's value, or null if the exposition has no such series. */
  Double value(String name, String... labelPairs) {
    Map<String, String> labels = new TreeMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      labels.put(labelPairs[i], labelPairs[i + 1]);
    }
    return samples.get(key(name, labels));
  }

  /** The value, or 0 when the series does not exist (yet): for counters registered on first use. */
  double valueOrZero(String name, String... labelPairs) {
    Double v = value(name, labelPairs);
    return v == null ? 0 : v;
  }

  boolean hasSeriesStartingWith(String prefix) {
    return samples.keySet().stream().anyMatch(k -> k.startsWith(prefix));
  }
}
