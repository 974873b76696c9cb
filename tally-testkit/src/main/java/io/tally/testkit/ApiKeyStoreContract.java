package io.tally.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.ApiKeyStore;
import io.tally.core.auth.KeyRing;
import io.tally.core.auth.Scope;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ApiKeyStore} must do: keep records (hash only) with every field, replace a
 * record by id, and show a write made through one handle to another handle on the same data (a
 * second node) once that one refreshes.
 */
public abstract class ApiKeyStoreContract {
  /** Opens an empty store; called before each test. */
  protected abstract void open();

  /** The store under test. */
  protected abstract ApiKeyStore store();

  /**
   * Another handle on the same data, as a second node would have (may be {@link #store()} itself).
   */
  protected abstract ApiKeyStore otherNode();

  protected void close() {}

  @BeforeEach
  void setUp() {
    open();
  }

  @AfterEach
  void tearDown() {
    close();
  }

  @Test
  void keepsEveryFieldOfARecord() {
    KeyRing ring = new KeyRing(store(), InstantSource.system());
    KeyRing.Created secret =
        ring.create(
            "svc", ApiKey.Kind.SECRET, Set.of(Scope.INGEST, Scope.QUERY), List.of(), List.of());
    KeyRing.Created pk =
        ring.create(
            "page",
            ApiKey.Kind.PUBLISHABLE,
            Set.of(Scope.INGEST),
            List.of("https://shop.example"),
            List.of("page:", "video:"));
    assertThat(store().all()).containsExactlyInAnyOrder(secret.key(), pk.key());
  }

  @Test
  void aRevocationThroughOneNodeReachesAnotherAtItsRefresh() {
    KeyRing a = new KeyRing(store(), InstantSource.system());
    KeyRing.Created key =
        a.create("ops", ApiKey.Kind.SECRET, Set.of(Scope.ADMIN), List.of(), List.of());
    KeyRing b = new KeyRing(otherNode(), InstantSource.system());
    assertThat(b.check(key.token()).ok()).isTrue();
    a.revoke(key.key().id());
    b.refresh();
    assertThat(b.check(key.token()).problem()).contains("revoked");
    assertThat(otherNode().all()).singleElement().satisfies(k -> assertThat(k.revoked()).isTrue());
  }
}
