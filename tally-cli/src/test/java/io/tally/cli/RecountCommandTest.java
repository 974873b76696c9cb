package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecountCommandTest {
  @Test
  void printsTheSummaryThenEachNamedRow() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RecountCommand.print(
        "audit",
        new JsonObject(
            "{\"from\":\"2026-12-05T06:00:00Z\",\"to\":\"2026-12-05T07:00:00Z\","
                + "\"granularities\":[\"minute\",\"hour\"],\"applied\":false,\"unchanged\":41,"
                + "\"changed\":1,\"added\":0,\"removed\":1,\"mismatched\":3,\"totalsAdjusted\":0,"
                + "\"differences\":[{\"entity\":\"video:1\",\"type\":\"view\","
                + "\"granularity\":\"minute\",\"start\":\"2026-12-05T06:17:00Z\","
                + "\"served\":{\"count\":5,\"sum\":9},\"recounted\":{\"count\":2,\"sum\":3}}]}"),
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "audit of 2026-12-05T06:00:00Z to 2026-12-05T07:00:00Z (minute, hour): 41 rows"
                + " unchanged, 1 changed, 0 added, 1 removed\n"
                + "  video:1 view minute 2026-12-05T06:17:00Z: served 5/9, recounted 2/3"
                + " (count/sum)\n"
                + "  … and 2 more\n");
  }

  @Test
  void saysHowManyTopKSlotsWereCorrectedAndLeft() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RecountCommand.print(
        "recount",
        new JsonObject(
            "{\"from\":\"2026-12-05T06:00:00Z\",\"to\":\"2026-12-05T07:00:00Z\","
                + "\"granularities\":[\"minute\",\"hour\"],\"applied\":true,\"unchanged\":42,"
                + "\"changed\":0,\"added\":0,\"removed\":0,\"mismatched\":0,\"totalsAdjusted\":0,"
                + "\"differences\":[],\"topKSlotsChanged\":3,\"topKSlotsSkipped\":1}"),
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "recount of 2026-12-05T06:00:00Z to 2026-12-05T07:00:00Z (minute, hour): 42 rows"
                + " unchanged, 0 changed, 0 added, 0 removed; 0 totals moved; 3 top-K slots"
                + " corrected, 1 left as they are (not exact, or still receiving events)\n");
  }
}
