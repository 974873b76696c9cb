package io.tally.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tally top}: the entities with the most events of a type in a sliding window, as a table.
 */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = "The entities with the most events of a type in a sliding window (top-K).")
final class TopCommand implements Callable<Integer> {
  @Option(names = "--type", required = true)
  String type;

  @Option(
      names = "--window",
      required = true,
      description = "One of the server's windows, e.g. 5m, 1h, 24h.")
  String window;

  @Option(names = "--k", description = "How many entities, 1..1000 (default 10).")
  Integer k;

  @Option(names = "--json", description = "Print the server's JSON instead of a table.")
  boolean json;

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8080",
      description = "Tally's URL. Default: ${DEFAULT-VALUE}.")
  String url;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("type", type);
    params.put("window", window);
    params.put("k", k == null ? null : k.toString());
    HttpResponse<String> r = HttpCalls.get(client, url, "/v1/top", params);
    if (json || r.statusCode() / 100 != 2) {
      return Output.print(r);
    }
    print(new JsonObject(r.body()), System.out);
    return 0;
  }

  /**
   * A header line saying what the answer covers and how exact it is, then rank, entity, estimate
   * and bounds.
   */
  static void print(JsonObject top, PrintStream out) {
    boolean exact = top.getBoolean("exact");
    out.printf(
        "top %d %s in the last %s (from %s, as of %s): %s%n",
        top.getInteger("k"),
        top.getString("type"),
        top.getString("window"),
        top.getString("from"),
        top.getString("asOf"),
        exact
            ? "exact"
            : "approximate, each count may be over by up to " + top.getLong("maxError"));
    JsonArray items = top.getJsonArray("items");
    if (items.isEmpty()) {
      out.println("(no events in the window)");
      return;
    }
    int width = "entity".length();
    for (int i = 0; i < items.size(); i++) {
      width = Math.max(width, items.getJsonObject(i).getString("entity").length());
    }
    String row = "%4s  %-" + width + "s  %12s" + (exact ? "%n" : "  %25s%n");
    out.printf(row, "rank", "entity", exact ? "count" : "estimate", "bounds");
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.getJsonObject(i);
      out.printf(
          row,
          i + 1,
          item.getString("entity"),
          item.getLong("estimate"),
          "[" + item.getLong("lowerBound") + ", " + item.getLong("upperBound") + "]");
    }
  }
}
