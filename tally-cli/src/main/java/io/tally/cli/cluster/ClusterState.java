package io.tally.cli.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a demo cluster directory holds running: the state file {@code <dir>/cluster.json}, which
 * this class alone reads and writes. Version 1:
 *
 * <pre>{@code
 * {
 *   "version": 1,
 *   "startedAt": "2025-11-28T18:00:00.123Z",           // when `up` began
 *   "readyAt": "2025-11-28T18:00:31.456Z",             // when it finished; absent until then
 *   "processes": [                                     // in start order
 *     { "name": "kafka", "kind": "KAFKA", "pid": 4242,
 *       "startedAt": "2025-11-28T18:00:01.050Z",       // the kernel's start time; absent if unknown
 *       "argument": "@/…/data/cluster/kafka/kafka.args", // verbatim in its command line
 *       "port": 9092, "address": "127.0.0.1:9092", "log": "/…/data/cluster/kafka/kafka.log" },
 *     …
 *   ]
 * }
 * }</pre>
 *
 * Paths are absolute. The file is replaced whole (temporary file, fsync, atomic rename), after each
 * process starts, so a crash or a Ctrl-C during {@code up} leaves a file naming every process
 * started so far (and no {@code readyAt}). A reader rejects another version. Immutable.
 *
 * @param startedAt when {@code up} began
 * @param readyAt when {@code up} finished with every node healthy; null if it has not (yet)
 * @param processes in start order
 */
record ClusterState(Instant startedAt, Instant readyAt, List<ClusterProcess> processes) {
  static final String FILE_NAME = "cluster.json";
  static final int VERSION = 1;

  ClusterState {
    requireNonNull(startedAt, "startedAt");
    processes = List.copyOf(processes);
  }

  static ClusterState starting(Instant now) {
    return new ClusterState(now, null, List.of());
  }

  ClusterState with(ClusterProcess process) {
    List<ClusterProcess> all = new ArrayList<>(processes);
    all.add(process);
    return new ClusterState(startedAt, readyAt, all);
  }

  ClusterState ready(Instant now) {
    return new ClusterState(startedAt, now, processes);
  }

  /** Whether {@code up} finished and every process it started is still running. */
  boolean isUp() {
    return readyAt != null && processes.stream().allMatch(p -> p.find().isPresent());
  }

  static Path file(Path dir) {
    return dir.resolve(FILE_NAME);
  }

  /**
   * The state recorded in {@code dir}; empty if there is no state file.
   *
   * @throws ClusterException if the file cannot be read or is not a version-1 state file
   */
  static Optional<ClusterState> read(Path dir) {
    Path file = file(dir);
    String text;
    try {
      text = Files.readString(file, UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new ClusterException("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      JsonObject json = new JsonObject(text);
      int version = json.getInteger("version", -1);
      if (version != VERSION) {
        throw new ClusterException(
            file + " has version " + version + "; this tally reads version " + VERSION);
      }
      List<ClusterProcess> processes = new ArrayList<>();
      for (Object p : json.getJsonArray("processes")) {
        processes.add(process((JsonObject) p));
      }
      String ready = json.getString("readyAt");
      return Optional.of(
          new ClusterState(
              Instant.parse(json.getString("startedAt")),
              ready == null ? null : Instant.parse(ready),
              processes));
    } catch (DecodeException
        | ClassCastException
        | NullPointerException
        | IllegalArgumentException
        | DateTimeParseException e) {
      throw new ClusterException(
          file + " is damaged (" + e.getMessage() + "); stop what runs by hand and delete it", e);
    }
  }

  /** Replaces {@code <dir>/cluster.json} atomically and durably. */
  void write(Path dir) {
    Path file = file(dir);
    Path temp = dir.resolve(FILE_NAME + ".tmp");
    try {
      try (FileChannel out =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.wrap((toJson().encodePrettily() + "\n").getBytes(UTF_8));
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
        out.force(true);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      try (FileChannel parent = FileChannel.open(dir, StandardOpenOption.READ)) {
        parent.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  JsonObject toJson() {
    JsonArray all = new JsonArray();
    for (ClusterProcess p : processes) {
      JsonObject json =
          new JsonObject().put("name", p.name()).put("kind", p.kind().name()).put("pid", p.pid());
      if (p.startedAt() != null) {
        json.put("startedAt", p.startedAt().toString());
      }
      if (p.startTicks() != null) {
        json.put("startTicks", p.startTicks());
      }
      all.add(
          json.put("argument", p.argument())
              .put("port", p.port())
              .put("address", p.address())
              .put("log", p.log().toString()));
    }
    JsonObject json =
        new JsonObject().put("version", VERSION).put("startedAt", startedAt.toString());
    if (readyAt != null) {
      json.put("readyAt", readyAt.toString());
    }
    return json.put("processes", all);
  }

  private static ClusterProcess process(JsonObject json) {
    String started = json.getString("startedAt");
    return new ClusterProcess(
        json.getString("name"),
        ClusterProcess.Kind.valueOf(json.getString("kind")),
        json.getLong("pid"),
        started == null ? null : Instant.parse(started),
        json.getString("argument"),
        json.getInteger("port"),
        json.getString("address"),
        Path.of(json.getString("log")),
        json.getLong("startTicks"));
  }
}
