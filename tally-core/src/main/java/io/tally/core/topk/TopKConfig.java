package io.tally.core.topk;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which windows Top-K keeps and how big its sketches are.
 *
 * @param windows the windows queries may ask for, in the order they are listed to clients; empty
 *     turns Top-K off
 * @param sketchSize the frequent-items sketch's maximum map size per slot and partition: a power of
 *     two from 8 to 65536. A slot is exact while it holds fewer than {@code 0.75 × sketchSize}
 *     distinct entities; beyond, its error is about {@code 3.5 / sketchSize} of the slot's events.
 *     Memory: up to about 80 bytes × sketchSize per slot, partition and type.
 */
public record TopKConfig(List<TopKWindow> windows, int sketchSize) {
  public static final int DEFAULT_SKETCH_SIZE = 1024;
  public static final TopKConfig DEFAULTS =
      new TopKConfig(
          List.of(TopKWindow.parse("5m"), TopKWindow.parse("1h"), TopKWindow.parse("24h")),
          DEFAULT_SKETCH_SIZE);

  /** No windows: nothing is kept and every query is refused. */
  public static final TopKConfig DISABLED = new TopKConfig(List.of(), DEFAULT_SKETCH_SIZE);

  public TopKConfig {
    windows = List.copyOf(windows);
    if (windows.stream().distinct().count() != windows.size()) {
      throw new IllegalArgumentException("top-K windows must be distinct, got " + windows);
    }
    if (sketchSize < 8 || sketchSize > 65_536 || Integer.bitCount(sketchSize) != 1) {
      throw new IllegalArgumentException(
          "top-K sketch size must be a power of two from 8 to 65536, got " + sketchSize);
    }
  }

  /**
   * Parses a comma-separated window list such as {@code 5m,1h,24h}.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static List<TopKWindow> parseWindows(String list) {
    List<TopKWindow> out = new ArrayList<>();
    for (String w : list.split(",")) {
      if (!w.isBlank()) {
        out.add(TopKWindow.parse(w));
      }
    }
    return out;
  }

  /** The configured window of the same length as {@code name} ({@code 60m} finds {@code 1h}). */
  public Optional<TopKWindow> window(String name) {
    try {
      TopKWindow w = TopKWindow.parse(name);
      return windows.contains(w) ? Optional.of(w) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The configured window names, comma-separated, for messages. */
  public String windowNames() {
    return windows.stream().map(TopKWindow::wireName).collect(Collectors.joining(", "));
  }

  public boolean enabled() {
    return !windows.isEmpty();
  }
}
