package io.tally.raw;

import io.tally.model.TallyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.StringJoiner;

/**
 * Writes the merge of one partition's files of one hour as one Parquet file ordered by offset
 * (compaction, {@link DuckDbRawStore#compact}): to a temp file, fsynced, renamed into place. The
 * caller then lists it in the manifest in place of its parts, and deletes the parts. Stateless.
 */
final class RawFileMerge {
  private RawFileMerge() {}

  /**
   * @param parts the files, of one partition and hour, in offset order
   * @param writer the DuckDB connection that copies (owned by the caller's thread)
   * @return the merged file, written and renamed, not yet in any manifest
   */
  static RawFile merge(Path dir, Connection writer, List<RawFile> parts) {
    RawFile first = parts.get(0);
    RawFile last = parts.get(parts.size() - 1);
    String hourDir = first.path().substring(0, first.path().lastIndexOf('/'));
    String path =
        hourDir
            + "/p"
            + first.partition()
            + "-"
            + first.fromOffset()
            + "-"
            + last.toOffset()
            + ".parquet";
    Path target = dir.resolve(path);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    StringJoiner sources = new StringJoiner(", ", "[", "]");
    long rows = 0;
    for (RawFile f : parts) {
      sources.add(DuckDbRawStore.quote(dir.resolve(f.path()).toString()));
      rows += f.rows();
    }
    try (Statement s = writer.createStatement()) {
      Files.deleteIfExists(tmp);
      s.execute(
          "COPY (SELECT * FROM read_parquet("
              + sources
              + ") ORDER BY \"offset\") TO "
              + DuckDbRawStore.quote(tmp.toString())
              + " "
              + DuckDbRawStore.FILE_FORMAT);
      DurableFiles.replace(tmp, target);
    } catch (IOException | SQLException e) {
      throw new TallyException("compacting into " + target + " failed: " + e, e);
    }
    return new RawFile(
        path,
        first.partition(),
        first.fromOffset(),
        last.toOffset(),
        rows,
        first.minAppendMillis(),
        last.maxAppendMillis());
  }
}
