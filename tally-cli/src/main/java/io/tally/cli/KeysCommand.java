package io.tally.cli;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.KeyRing;
import io.tally.core.auth.Scope;
import io.tally.model.TallyException;
import io.tally.rocksdb.RocksDbApiKeyStore;
import io.tally.rocksdb.RocksDbStorage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.rocksdb.RocksDBException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tally keys create|list|revoke}: API keys, either through a running server's admin routes
 * ({@code --url}, with an admin key) or, to make the very first admin key, directly in a stopped
 * embedded server's data dir ({@code --data-dir}). A new key is printed once; only its hash is
 * stored.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Create, list and revoke API keys.",
    subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /**
   * Where the keys are: a running server, or a stopped server's data dir. Each subcommand names
   * {@code --data-dir} in its own words (a subclass with the option).
   */
  abstract static class Target {
    @Option(
        names = "--url",
        description = "A running Tally (its admin routes; needs an admin --key).")
    String url;

    Path dataDir;
  }

  /** {@code keys create}'s target. */
  static final class CreateTarget extends Target {
    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description =
            "The data dir of a stopped embedded server: creates the key there, with no --key "
                + "(how the first admin key is made).")
    void dataDir(Path dir) {
      dataDir = dir;
    }
  }

  /** {@code keys list}'s target. */
  static final class ListTarget extends Target {
    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description = "The data dir of a stopped embedded server: lists its keys, with no --key.")
    void dataDir(Path dir) {
      dataDir = dir;
    }
  }

  /** {@code keys revoke}'s target. */
  static final class RevokeTarget extends Target {
    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description =
            "The data dir of a stopped embedded server: revokes the key there, with no --key.")
    void dataDir(Path dir) {
      dataDir = dir;
    }
  }

  /**
   * Shared by the subcommands: the client options, the partitions of a data dir, and one line for a
   * data dir that cannot be opened.
   */
  abstract static class KeysSubcommand implements Callable<Integer> {
    @Mixin ClientOptions client;

    @Option(
        names = "--partitions",
        defaultValue = "8",
        description = "With --data-dir: the data dir's partition count. Default: ${DEFAULT-VALUE}.")
    int partitions;

    /** The target the subcommand's {@code @ArgGroup} parsed. */
    abstract Target target();

    /** What the subcommand does; a {@link TallyException} becomes one line and exit code 1. */
    abstract Integer run() throws Exception;

    @Override
    public final Integer call() throws Exception {
      try {
        return run();
      } catch (IllegalArgumentException | TallyException e) {
        System.err.println("tally keys: " + e.getMessage());
        return 1;
      }
    }

    <T> T offline(java.util.function.Function<KeyRing, T> work) {
      Path dir = target().dataDir;
      RocksDbStorage opened;
      try {
        opened = RocksDbStorage.open(dir, partitions);
      } catch (TallyException e) {
        if (lockHeld(e)) {
          throw new TallyException(
              "the data dir "
                  + dir
                  + " is in use by a running server: stop the server first, or manage keys through"
                  + " it with --url and an admin --key",
              e);
        }
        throw e;
      }
      try (RocksDbStorage storage = opened) {
        return work.apply(new KeyRing(new RocksDbApiKeyStore(storage), InstantSource.system()));
      }
    }

    /**
     * Whether RocksDB refused the data dir because another process holds it ("While lock file:
     * DIR/LOCK: Resource temporarily unavailable") or this one does ("lock hold by current process
     * ...: DIR/LOCK: No locks available").
     */
    private static boolean lockHeld(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof RocksDBException && String.valueOf(t.getMessage()).contains("LOCK: ")) {
          return true;
        }
      }
      return false;
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Make a key and print it (once).")
  static final class Create extends KeysSubcommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    CreateTarget target;

    @Override
    Target target() {
      return target;
    }

    @Option(names = "--name", required = true, description = "Who or what the key is for.")
    String name;

    @Option(
        names = "--scope",
        split = ",",
        description = "ingest, query and/or admin (a publishable key: ingest).")
    List<String> scopes = new ArrayList<>();

    @Option(
        names = "--publishable",
        description =
            "A browser key (tly_pk_…): ingest only, from --origin pages, for --entity-prefix entities.")
    boolean publishable;

    @Option(
        names = "--origin",
        split = ",",
        description = "Publishable keys: allowed page origins, e.g. https://shop.example.")
    List<String> origins = new ArrayList<>();

    @Option(
        names = "--entity-prefix",
        split = ",",
        description = "Publishable keys: allowed entity prefixes, e.g. page:.")
    List<String> prefixes = new ArrayList<>();

    @Override
    Integer run() throws Exception {
      Set<Scope> parsed = EnumSet.noneOf(Scope.class);
      try {
        scopes.forEach(s -> parsed.add(Scope.parse(s)));
      } catch (IllegalArgumentException e) {
        System.err.println("tally keys create: " + e.getMessage());
        return 2;
      }
      if (publishable && parsed.isEmpty()) {
        parsed.add(Scope.INGEST);
      }
      ApiKey.Kind kind = publishable ? ApiKey.Kind.PUBLISHABLE : ApiKey.Kind.SECRET;
      if (target.dataDir != null) {
        KeyRing.Created c = offline(ring -> ring.create(name, kind, parsed, origins, prefixes));
        System.out.println(c.token());
        System.err.println("key " + c.key().id() + " (" + name + ") created; it is shown only now");
        return 0;
      }
      JsonObject body =
          new JsonObject()
              .put("name", name)
              .put("kind", publishable ? "publishable" : "secret")
              .put("scopes", new JsonArray(parsed.stream().map(Scope::wireName).toList()));
      if (publishable) {
        body.put("origins", new JsonArray(origins)).put("entityPrefixes", new JsonArray(prefixes));
      }
      HttpResponse<String> r =
          HttpCalls.postJson(client, target.url, "/v1/admin/keys", body.toBuffer().getBytes());
      if (r.statusCode() != 201) {
        return Output.print(r);
      }
      JsonObject created = new JsonObject(r.body());
      System.out.println(created.getString("key"));
      System.err.println(
          "key " + created.getString("id") + " (" + name + ") created; it is shown only now");
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the keys (never their secrets).")
  static final class ListKeys extends KeysSubcommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    ListTarget target;

    @Override
    Target target() {
      return target;
    }

    @Override
    Integer run() throws Exception {
      if (target.dataDir != null) {
        for (ApiKey k : offline(KeyRing::list)) {
          System.out.printf(
              "%s  %-20s %-11s %-22s created %s%s%n",
              k.id(),
              k.name(),
              k.kind().name().toLowerCase(java.util.Locale.ROOT),
              k.scopes().stream().map(Scope::wireName).sorted().toList(),
              Instant.ofEpochMilli(k.createdAtMillis()),
              k.revoked() ? "  REVOKED " + Instant.ofEpochMilli(k.revokedAtMillis()) : "");
        }
        return 0;
      }
      return Output.print(HttpCalls.get(client, target.url, "/v1/admin/keys", java.util.Map.of()));
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke a key; every node refuses it within seconds.")
  static final class Revoke extends KeysSubcommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    RevokeTarget target;

    @Override
    Target target() {
      return target;
    }

    @Parameters(
        index = "0",
        description = "The key's id (the 12 hex characters after tly_sk_ or tly_pk_).")
    String id;

    @Override
    Integer run() throws Exception {
      if (target.dataDir != null) {
        var revoked = offline(ring -> ring.revoke(id));
        if (revoked.isEmpty()) {
          System.err.println("tally keys revoke: no key with id " + id);
          return 1;
        }
        System.out.println("revoked " + id + " (" + revoked.get().name() + ")");
        return 0;
      }
      return Output.print(HttpCalls.delete(client, target.url, "/v1/admin/keys/" + id));
    }
  }
}
