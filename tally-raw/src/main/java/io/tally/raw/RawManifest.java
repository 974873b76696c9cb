package io.tally.raw;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tally.core.raw.RawGap;
import io.tally.core.store.Checkpoint;
import io.tally.model.TallyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which files the raw store holds, how far each partition is exported and which log records it
 * lacks for good ({@link RawGap}): the store's truth. A Parquet file the manifest does not list is
 * not part of the store (the leftover of a crash between writing a file and recording it) and is
 * deleted when its partition is next claimed ({@link RawPartitions}).
 *
 * <h2>Format (version 2)</h2>
 *
 * A UTF-8 text file, tab-separated, one record a line; each partition has its own ({@code
 * partitions/p<N>.manifest}, holding only partition N's lines), and a store written before
 * partitions had their own kept them all in {@code <dir>/manifest}:
 *
 * <pre>
 * tally-raw-manifest	1
 * position	partition	nextOffset	lastAppendTimeMillis	asOfMillis
 * file	path	partition	fromOffset	toOffset	rows	minAppendMillis	maxAppendMillis
 * gap	partition	fromOffset	toOffset	fromAppendMillis	toAppendMillis
 * </pre>
 *
 * Version 2 added the {@code gap} line; a version 1 manifest (no gaps) is read as well, and version
 * 1 readers refuse a version 2 manifest. The file is replaced whole (temp file, fsync, atomic
 * rename, fsync of the directory), so it is always either the old or the new manifest. An unknown
 * version or a line that does not parse (a damaged gap included) is refused, never misread or
 * skipped.
 *
 * <p>Immutable; {@link #with} and {@link #without} return new manifests.
 */
public record RawManifest(
    Map<Integer, Checkpoint> positions, List<RawFile> files, List<RawGap> gaps) {
  static final String FILE_NAME = "manifest";
  private static final String MAGIC = "tally-raw-manifest";
  private static final int VERSION = 2;

  public RawManifest {
    positions = Map.copyOf(positions);
    files = List.copyOf(files);
    gaps = List.copyOf(gaps);
  }

  /** A manifest without gaps. */
  public RawManifest(Map<Integer, Checkpoint> positions, List<RawFile> files) {
    this(positions, files, List.of());
  }

  /** The manifest of an empty store. */
  public static RawManifest empty() {
    return new RawManifest(Map.of(), List.of());
  }

  /** This manifest with {@code added} files and {@code position} as its partition's position. */
  public RawManifest with(List<RawFile> added, Checkpoint position) {
    return with(added, position, List.of());
  }

  /** As {@link #with(List, Checkpoint)}, also recording {@code lost} gaps. */
  public RawManifest with(List<RawFile> added, Checkpoint position, List<RawGap> lost) {
    Map<Integer, Checkpoint> p = new TreeMap<>(positions);
    p.put(position.partition(), position);
    List<RawFile> f = new ArrayList<>(files);
    f.addAll(added);
    List<RawGap> g = new ArrayList<>(gaps);
    g.addAll(lost);
    return new RawManifest(p, f, g);
  }

  /** This manifest with {@code merged} in place of the files it holds, positions unchanged. */
  public RawManifest replacing(List<RawFile> parts, RawFile merged) {
    List<RawFile> f = new ArrayList<>(files);
    f.removeAll(parts);
    f.add(merged);
    return new RawManifest(positions, f, gaps);
  }

  /** This manifest without {@code removed} files and {@code forgotten} gaps. */
  public RawManifest without(List<RawFile> removed, List<RawGap> forgotten) {
    List<RawFile> f = new ArrayList<>(files);
    f.removeAll(removed);
    List<RawGap> g = new ArrayList<>(gaps);
    g.removeAll(forgotten);
    return new RawManifest(positions, f, g);
  }

  /** The lines of {@code partition} only. */
  public RawManifest partition(int partition) {
    Checkpoint cp = positions.get(partition);
    return new RawManifest(
        cp == null ? Map.of() : Map.of(partition, cp),
        files.stream().filter(f -> f.partition() == partition).toList(),
        gaps.stream().filter(g -> g.partition() == partition).toList());
  }

  /** Every line of {@code manifests}, as one manifest (they must hold different partitions). */
  public static RawManifest union(Iterable<RawManifest> manifests) {
    Map<Integer, Checkpoint> p = new TreeMap<>();
    List<RawFile> f = new ArrayList<>();
    List<RawGap> g = new ArrayList<>();
    for (RawManifest m : manifests) {
      p.putAll(m.positions);
      f.addAll(m.files);
      g.addAll(m.gaps);
    }
    return new RawManifest(p, f, g);
  }

  /** Reads the whole-store manifest in {@code dir} (the layout before per-partition manifests). */
  public static RawManifest read(Path dir) {
    return readFile(dir.resolve(FILE_NAME));
  }

  /** Reads the manifest {@code file}, or an empty one if there is none. */
  public static RawManifest readFile(Path file) {
    if (!Files.exists(file)) {
      return empty();
    }
    try {
      List<String> lines = Files.readAllLines(file, UTF_8);
      boolean withGaps = version(file, lines) == VERSION;
      Map<Integer, Checkpoint> positions = new TreeMap<>();
      List<RawFile> files = new ArrayList<>();
      List<RawGap> gaps = new ArrayList<>();
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split("\t");
        if (f[0].equals("position") && f.length == 5) {
          Checkpoint cp = new Checkpoint(integer(f[1]), number(f[2]), number(f[3]), number(f[4]));
          positions.put(cp.partition(), cp);
        } else if (f[0].equals("file") && f.length == 8) {
          files.add(
              new RawFile(
                  f[1],
                  integer(f[2]),
                  number(f[3]),
                  number(f[4]),
                  number(f[5]),
                  number(f[6]),
                  number(f[7])));
        } else if (f[0].equals("gap") && f.length == 6 && withGaps) {
          gaps.add(
              new RawGap(integer(f[1]), number(f[2]), number(f[3]), number(f[4]), number(f[5])));
        } else {
          throw new TallyException("raw store manifest " + file + " has a bad line: " + line);
        }
      }
      return new RawManifest(positions, files, gaps);
    } catch (IOException | IllegalArgumentException e) {
      throw new TallyException("reading the raw store manifest " + file + " failed: " + e, e);
    }
  }

  /** The version {@code lines} start with (1 or {@link #VERSION}); refuses any other. */
  private static int version(Path file, List<String> lines) {
    String first = lines.isEmpty() ? "none" : lines.get(0);
    for (int v = 1; v <= VERSION; v++) {
      if (first.equals(MAGIC + "\t" + v)) {
        return v;
      }
    }
    throw new TallyException(
        "raw store manifest "
            + file
            + " is not a version 1 or "
            + VERSION
            + " manifest (first line: "
            + first
            + ")");
  }

  private static int integer(String s) {
    return Integer.parseInt(s);
  }

  private static long number(String s) {
    return Long.parseLong(s);
  }

  /** Replaces the manifest {@code file} with this one, atomically and durably. */
  public void writeFile(Path file) {
    StringBuilder b = new StringBuilder(MAGIC).append('\t').append(VERSION).append('\n');
    for (Checkpoint cp : new TreeMap<>(positions).values()) {
      b.append("position\t").append(cp.partition()).append('\t').append(cp.nextOffset());
      b.append('\t').append(cp.lastAppendTimeMillis()).append('\t').append(cp.asOfMillis());
      b.append('\n');
    }
    for (RawFile f : files) {
      b.append("file\t").append(f.path()).append('\t').append(f.partition());
      b.append('\t').append(f.fromOffset()).append('\t').append(f.toOffset());
      b.append('\t').append(f.rows()).append('\t').append(f.minAppendMillis());
      b.append('\t').append(f.maxAppendMillis()).append('\n');
    }
    for (RawGap g : gaps) {
      b.append("gap\t").append(g.partition()).append('\t').append(g.fromOffset());
      b.append('\t').append(g.toOffset()).append('\t').append(g.fromAppendMillis());
      b.append('\t').append(g.toAppendMillis()).append('\n');
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.write(tmp, b.toString().getBytes(UTF_8));
      DurableFiles.replace(tmp, file);
    } catch (IOException e) {
      throw new TallyException("writing the raw store manifest " + file + " failed: " + e, e);
    }
  }
}
