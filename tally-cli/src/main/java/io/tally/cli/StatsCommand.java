package io.tally.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tally stats}: a series query, printed as the server's JSON. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = "Counts or sums of an entity's events per minute, hour or day.")
final class StatsCommand implements Callable<Integer> {
  @Option(names = "--entity", required = true)
  String entity;

  @Option(names = "--type", required = true)
  String type;

  @Option(names = "--fn", description = "count (default) or sum.")
  String fn;

  @Option(names = "--from", description = "Start, epoch ms or ISO-8601 (default: 60 buckets ago).")
  String from;

  @Option(names = "--to", description = "End (exclusive), epoch ms or ISO-8601 (default: now).")
  String to;

  @Option(
      names = "--granularity",
      description =
          "minute (default), hour, day, or auto (the finest retained for the whole range).")
  String granularity;

  @Option(
      names = "--fill",
      description = "none (default: only non-empty buckets) or zero (every bucket).")
  String fill;

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8080",
      description = "Tally's URL. Default: ${DEFAULT-VALUE}.")
  String url;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("entity", entity);
    params.put("type", type);
    params.put("fn", fn);
    params.put("from", from);
    params.put("to", to);
    params.put("granularity", granularity);
    params.put("fill", fill);
    return Output.print(HttpCalls.get(client, url, "/v1/stats", params));
  }
}
