package io.tally.cli;

import io.tally.model.Event;
import io.tally.model.Position;
import io.tally.model.json.TallyJson;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tally send}: posts N events of one entity and type, each with a fresh id, and prints how
 * many were accepted and the position token of their writes, which {@code tally total --after}
 * waits for (read-your-writes, on any node).
 */
@Command(
    name = "send",
    mixinStandardHelpOptions = true,
    description = "Send events to a running Tally.")
final class SendCommand implements Callable<Integer> {
  private static final int BATCH = 1000;

  @Option(names = "--entity", required = true, description = "Entity, e.g. video:42.")
  String entity;

  @Option(names = "--type", required = true, description = "Event type, e.g. view.")
  String type;

  @Option(
      names = "--count",
      defaultValue = "1",
      description = "How many events. Default: ${DEFAULT-VALUE}.")
  int count;

  @Option(
      names = "--value",
      defaultValue = "1",
      description = "Value of each event (summed by fn=sum). Default: ${DEFAULT-VALUE}.")
  long value;

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8080",
      description = "Tally's URL. Default: ${DEFAULT-VALUE}.")
  String url;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    if (count < 1) {
      System.err.println("tally send: --count must be at least 1");
      return 2;
    }
    int accepted = 0;
    Position position = Position.EMPTY;
    for (int sent = 0; sent < count; sent += BATCH) {
      List<Event> batch = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (int i = sent; i < Math.min(count, sent + BATCH); i++) {
        batch.add(new Event(UUID.randomUUID().toString(), entity, type, now, value));
      }
      HttpResponse<String> r =
          HttpCalls.postJson(client, url, "/v1/events", TallyJson.events(batch));
      if (r.statusCode() != 202) {
        System.err.println("tally send: HTTP " + r.statusCode() + " " + r.body());
        return 1;
      }
      accepted += batch.size() - countRejected(r.body());
      String token = new JsonObject(r.body()).getString("position");
      if (token != null) {
        position = position.merge(Position.parse(token));
      }
    }
    System.out.println(
        "accepted "
            + accepted
            + " of "
            + count
            + " events"
            + (position.isEmpty() ? "" : "; position " + position.token()));
    return accepted == count ? 0 : 1;
  }

  private static int countRejected(String body) {
    int n = 0;
    for (int i = body.indexOf("\"index\""); i >= 0; i = body.indexOf("\"index\"", i + 1)) {
      n++;
    }
    return n;
  }
}
