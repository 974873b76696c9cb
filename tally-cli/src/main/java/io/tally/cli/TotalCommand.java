package io.tally.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tally total}: the all-time count and sum of an entity's events of one type. */
@Command(
    name = "total",
    mixinStandardHelpOptions = true,
    description = "All-time count and sum of an entity's events.")
final class TotalCommand implements Callable<Integer> {
  @Option(names = "--entity", required = true)
  String entity;

  @Option(names = "--type", required = true)
  String type;

  @Option(
      names = "--after",
      description =
          "A position token (printed by `tally send`, or an ingest answer's \"position\"): answer"
              + " only once the writes it names are counted (read-your-writes).")
  String after;

  @Option(
      names = "--wait",
      description =
          "With --after: how long the server may wait for them, in milliseconds (0-60000)."
              + " Default: the server's, 5000.")
  Integer waitMillis;

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
    if (after != null) {
      params.put("after", after);
    }
    if (waitMillis != null) {
      params.put("wait", waitMillis.toString());
    }
    return Output.print(HttpCalls.get(client, url, "/v1/total", params));
  }
}
