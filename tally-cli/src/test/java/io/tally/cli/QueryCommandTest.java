package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QueryCommandTest {
  private static String print(String json) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    QueryCommand.print(new JsonObject(json), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void printsAnAlignedTableWithItsAsOfTime() {
    assertThat(
            print(
                "{\"asOf\":\"2026-12-05T06:00:00Z\",\"columns\":[\"type\",\"entities\"],"
                    + "\"types\":[\"VARCHAR\",\"BIGINT\"],\"rows\":[[\"view\",1200],[\"like\",null]],"
                    + "\"truncated\":false}"))
        .isEqualTo(
            "type  entities\n"
                + "view  1200\n"
                + "like  NULL\n"
                + "(2 rows; events logged before 2026-12-05T06:00:00Z)\n");
  }

  @Test
  void saysWhenRowsWereLeftOff() {
    assertThat(
            print(
                "{\"asOf\":null,\"columns\":[\"a\"],\"types\":[\"INTEGER\"],\"rows\":[[1]],"
                    + "\"truncated\":true}"))
        .endsWith("(1 row, more left off; nothing exported yet)\n");
  }
}
