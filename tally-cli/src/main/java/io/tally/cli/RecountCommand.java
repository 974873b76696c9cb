package io.tally.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tally recount --from T --to T [--entity-prefix P] [--types a,b]}: rebuilds the counter
 * rows of a closed range from the raw store ({@code POST /v1/admin/recount}) and prints what
 * changed. {@link AuditCommand} shares its options and output.
 */
@Command(
    name = "recount",
    mixinStandardHelpOptions = true,
    description = {
      "Rebuild the counter rows of whole hours [from, to) from the raw store while counting goes"
          + " on (admin scope): the backfill after adding --derive rules, the repair after a bug.",
      "Example: tally recount --from 2026-12-05T06:00:00Z --to 2026-12-05T09:00:00Z"
    })
final class RecountCommand implements Callable<Integer> {
  @Mixin RangeOptions range;
  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    return range.run(client, "/v1/admin/recount", "recount");
  }

  /** The options and output of {@code tally recount} and {@code tally audit}. */
  static final class RangeOptions {
    @Option(
        names = "--from",
        required = true,
        description = "First hour, ISO-8601 (2026-12-05T06:00:00Z) or epoch ms.")
    String from;

    @Option(names = "--to", required = true, description = "End hour (exclusive).")
    String to;

    @Option(
        names = "--entity-prefix",
        description = "Only entities (derived entities by their name) starting with it.")
    String entityPrefix;

    @Option(names = "--types", split = ",", description = "Only these event types.")
    List<String> types;

    @Option(names = "--json", description = "Print the server's JSON answer as it is.")
    boolean json;

    @Option(
        names = "--url",
        defaultValue = "http://127.0.0.1:8080",
        description = "Tally's URL. Default: ${DEFAULT-VALUE}.")
    String url;

    /** Rows the last answer said differ. */
    long mismatched;

    int run(ClientOptions client, String path, String what) throws Exception {
      JsonObject body = new JsonObject().put("from", time(from)).put("to", time(to));
      if (entityPrefix != null) {
        body.put("entityPrefix", entityPrefix);
      }
      if (types != null) {
        body.put("types", new JsonArray(types));
      }
      HttpResponse<String> r =
          HttpCalls.postJson(client, url, path, body.encode().getBytes(StandardCharsets.UTF_8));
      if (r.statusCode() == 200) {
        mismatched = new JsonObject(r.body()).getLong("mismatched");
      }
      if (json || r.statusCode() != 200) {
        return Output.print(r);
      }
      print(what, new JsonObject(r.body()), System.out);
      return 0;
    }

    private static Object time(String t) {
      return t.chars().allMatch(Character::isDigit) ? (Object) Long.parseLong(t) : t;
    }
  }

  /** The report: one summary line, then one line per named differing row. */
  static void print(String what, JsonObject r, PrintStream out) {
    out.println(
        what
            + " of "
            + r.getString("from")
            + " to "
            + r.getString("to")
            + " ("
            + r.getJsonArray("granularities").stream()
                .map(String::valueOf)
                .collect(java.util.stream.Collectors.joining(", "))
            + "): "
            + r.getLong("unchanged")
            + " rows unchanged, "
            + r.getLong("changed")
            + " changed, "
            + r.getLong("added")
            + " added, "
            + r.getLong("removed")
            + " removed"
            + (r.getBoolean("applied") ? "; " + r.getLong("totalsAdjusted") + " totals moved" : "")
            + topK(r));
    for (Object o : r.getJsonArray("differences")) {
      JsonObject d = (JsonObject) o;
      JsonObject served = d.getJsonObject("served");
      JsonObject recounted = d.getJsonObject("recounted");
      out.println(
          "  "
              + d.getString("entity")
              + " "
              + d.getString("type")
              + " "
              + d.getString("granularity")
              + " "
              + d.getString("start")
              + ": served "
              + served.getLong("count")
              + "/"
              + served.getLong("sum")
              + ", recounted "
              + recounted.getLong("count")
              + "/"
              + recounted.getLong("sum")
              + " (count/sum)");
    }
    long mismatched = r.getLong("mismatched");
    if (mismatched > r.getJsonArray("differences").size()) {
      out.println("  … and " + (mismatched - r.getJsonArray("differences").size()) + " more");
    }
  }

  /** The Top-K slots that differ (and those not exact), when there are any. */
  private static String topK(JsonObject r) {
    long changed = r.getLong("topKSlotsChanged", 0L);
    long skipped = r.getLong("topKSlotsSkipped", 0L);
    if (changed == 0 && skipped == 0) {
      return "";
    }
    return "; "
        + changed
        + (r.getBoolean("applied") ? " top-K slots corrected" : " top-K slots differ")
        + (skipped == 0
            ? ""
            : ", " + skipped + " left as they are (not exact, or still receiving events)");
  }
}
