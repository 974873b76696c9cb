package io.tally.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.testkit.InMemoryApiKeyStore;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class KeyRingTest {
  private final InMemoryApiKeyStore store = new InMemoryApiKeyStore();
  private final KeyRing ring = new KeyRing(store, InstantSource.system());

  private ApiKey stored(String id) {
    return store.all().stream().filter(k -> k.id().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void storesOnlyTheHashAndAcceptsTheTokenItMade() {
    KeyRing.Created c =
        ring.create("svc", ApiKey.Kind.SECRET, Set.of(Scope.INGEST), List.of(), List.of());
    assertThat(c.token()).startsWith("tly_sk_").hasSize(ApiKeyTokens.TOKEN_LENGTH);
    ApiKey stored = stored(c.key().id());
    assertThat(new String(ApiKeyCodec.encode(stored), java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain(c.token())
        .doesNotContain(c.token().substring(20));
    assertThat(ring.check(c.token()).key()).isEqualTo(stored);
    assertThat(ring.anyKeyEverMade()).isTrue();
  }

  @Test
  void refusesWrongMalformedAndRevokedTokens() {
    KeyRing.Created c =
        ring.create("svc", ApiKey.Kind.SECRET, Set.of(Scope.QUERY), List.of(), List.of());
    String flipped =
        c.token().substring(0, c.token().length() - 1) + (c.token().endsWith("A") ? "B" : "A");
    assertThat(ring.check(flipped).problem()).isEqualTo("unknown API key");
    assertThat(ring.check("tly_pk_" + c.token().substring(7)).problem())
        .as("same secret, other kind")
        .isEqualTo("unknown API key");
    assertThat(ring.check("nonsense").problem()).isEqualTo("malformed API key");
    assertThat(ring.check(null).problem()).isEqualTo("malformed API key");
    ring.revoke(c.key().id());
    assertThat(ring.check(c.token()).problem()).contains("revoked");
    assertThat(ring.anyKeyEverMade()).as("a revoked key keeps auth on").isTrue();
  }

  @Test
  void aRevocationWrittenElsewhereIsSeenAfterARefresh() {
    KeyRing.Created c =
        ring.create("svc", ApiKey.Kind.SECRET, Set.of(Scope.ADMIN), List.of(), List.of());
    KeyRing other = new KeyRing(store, InstantSource.system());
    other.revoke(c.key().id());
    assertThat(ring.check(c.token()).ok()).isTrue();
    ring.refresh();
    assertThat(ring.check(c.token()).ok()).isFalse();
  }

  @Test
  void publishableKeysAreIngestOnlyWithOriginsAndPrefixes() {
    assertThatThrownBy(
            () ->
                ring.create(
                    "b",
                    ApiKey.Kind.PUBLISHABLE,
                    Set.of(Scope.QUERY),
                    List.of("https://a.example"),
                    List.of("a:")))
        .hasMessageContaining("only have the ingest scope");
    assertThatThrownBy(
            () ->
                ring.create(
                    "b", ApiKey.Kind.PUBLISHABLE, Set.of(Scope.INGEST), List.of(), List.of("a:")))
        .hasMessageContaining("at least one origin");
    assertThatThrownBy(
            () ->
                ring.create(
                    "b",
                    ApiKey.Kind.PUBLISHABLE,
                    Set.of(Scope.INGEST),
                    List.of("https://A.example"),
                    List.of("a:")))
        .hasMessageContaining("lower case");
    assertThatThrownBy(
            () ->
                ring.create(
                    "s",
                    ApiKey.Kind.SECRET,
                    Set.of(Scope.INGEST),
                    List.of("https://a.example"),
                    List.of()))
        .hasMessageContaining("publishable keys only");
    assertThat(
            ring.create(
                    "b",
                    ApiKey.Kind.PUBLISHABLE,
                    Set.of(Scope.INGEST),
                    List.of("http://localhost:3000"),
                    List.of("page:"))
                .token())
        .startsWith("tly_pk_");
  }

  @Property(tries = 200)
  void recordsRoundTripThroughTheCodec(
      @ForAll("names") String name, @ForAll boolean publishable, @ForAll boolean revoked) {
    ApiKeyTokens.NewToken t =
        ApiKeyTokens.generate(publishable ? ApiKey.Kind.PUBLISHABLE : ApiKey.Kind.SECRET);
    ApiKey k =
        new ApiKey(
            t.id(),
            name,
            publishable ? ApiKey.Kind.PUBLISHABLE : ApiKey.Kind.SECRET,
            publishable ? Set.of(Scope.INGEST) : Set.of(Scope.INGEST, Scope.ADMIN),
            publishable ? List.of("https://shop.example", "http://localhost:8000") : List.of(),
            publishable ? List.of("page:", "ü:") : List.of(),
            1234,
            revoked ? 5678 : 0,
            t.hash());
    assertThat(ApiKeyCodec.decode(ApiKeyCodec.encode(k))).isEqualTo(k);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<String> names() {
    return net.jqwik.api.Arbitraries.strings()
        .ofMinLength(1)
        .ofMaxLength(ApiKey.MAX_NAME_LENGTH)
        .filter(s -> !s.isBlank());
  }

  @Test
  void aCorruptRecordIsReportedNotMisread() {
    assertThatThrownBy(() -> ApiKeyCodec.decode(new byte[] {9, 0, 0}))
        .isInstanceOf(io.tally.core.codec.CorruptRecordException.class);
    assertThatThrownBy(() -> ApiKeyCodec.decode(new byte[] {1, 7}))
        .isInstanceOf(io.tally.core.codec.CorruptRecordException.class);
  }
}
