package io.tally.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tally query "SQL"}: read-only SQL over the raw store's {@code events} view ({@code POST
 * /v1/query}), printed as a table, or as the server's JSON with {@code --json}.
 */
@Command(
    name = "query",
    mixinStandardHelpOptions = true,
    description = {
      "Read-only SQL over the raw events: the view events(id, entity, type, time, value,"
          + " attributes, actor, partition, offset, logged).",
      "Example: tally query \"SELECT type, count(DISTINCT entity) FROM events GROUP BY type\""
    })
final class QueryCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "SQL", description = "One SELECT statement.")
  String sql;

  @Option(names = "--json", description = "Print the server's JSON answer as it is.")
  boolean json;

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8080",
      description = "Tally's URL. Default: ${DEFAULT-VALUE}.")
  String url;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    byte[] body = new JsonObject().put("sql", sql).encode().getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r = HttpCalls.postJson(client, url, "/v1/query", body);
    if (json || r.statusCode() != 200) {
      return Output.print(r);
    }
    print(new JsonObject(r.body()), System.out);
    return 0;
  }

  /** The answer as a table with a header, then its as-of time and whether rows were left off. */
  static void print(JsonObject answer, PrintStream out) {
    JsonArray columns = answer.getJsonArray("columns");
    List<String[]> lines = new ArrayList<>();
    String[] head = new String[columns.size()];
    for (int i = 0; i < head.length; i++) {
      head[i] = columns.getString(i);
    }
    lines.add(head);
    for (Object o : answer.getJsonArray("rows")) {
      JsonArray row = (JsonArray) o;
      String[] cells = new String[row.size()];
      for (int i = 0; i < cells.length; i++) {
        Object v = row.getValue(i);
        cells[i] = v == null ? "NULL" : String.valueOf(v instanceof JsonObject j ? j.encode() : v);
      }
      lines.add(cells);
    }
    int[] width = new int[head.length];
    for (String[] line : lines) {
      for (int i = 0; i < line.length; i++) {
        width[i] = Math.max(width[i], line[i].length());
      }
    }
    for (String[] line : lines) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < line.length; i++) {
        b.append(i == 0 ? "" : "  ").append(String.format("%-" + width[i] + "s", line[i]));
      }
      out.println(b.toString().stripTrailing());
    }
    int rows = lines.size() - 1;
    out.println(
        "("
            + rows
            + (rows == 1 ? " row" : " rows")
            + (answer.getBoolean("truncated", false) ? ", more left off" : "")
            + (answer.getValue("asOf") == null
                ? "; nothing exported yet"
                : "; events logged before " + answer.getValue("asOf"))
            + ")");
  }
}
