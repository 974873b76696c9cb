package io.tally.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tally audit --from T --to T}: compares the counter rows of a closed range with a recount
 * from the raw store, changing nothing ({@code POST /v1/admin/audit}); exit status 2 when rows
 * differ.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Compare the counter rows of whole hours [from, to) with a recount from the raw store,"
          + " changing nothing (admin scope). Exit status 2 if rows differ: tally recount repairs"
          + " them.",
      "Example: tally audit --from 2026-12-05T06:00:00Z --to 2026-12-05T07:00:00Z"
    })
final class AuditCommand implements Callable<Integer> {
  @Mixin RecountCommand.RangeOptions range;
  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    int status = range.run(client, "/v1/admin/audit", "audit");
    return status == 0 && range.mismatched > 0 ? 2 : status;
  }
}
