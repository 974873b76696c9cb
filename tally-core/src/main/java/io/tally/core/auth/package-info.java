/**
 * API keys: who may call Tally, with which scopes. The seam {@link io.tally.core.auth.ApiKeyStore}
 * holds key records (RocksDB in embedded mode, Cassandra in cluster mode); everything else is
 * written once here: the token format and its hashing ({@link io.tally.core.auth.ApiKeyTokens}),
 * the durable record layout ({@link io.tally.core.auth.ApiKeyCodec}) and the in-memory view every
 * request is checked against, refreshed from the store ({@link io.tally.core.auth.KeyRing}).
 *
 * <p>Only a SHA-256 hash of a key is ever stored; the key itself is shown once, when it is made.
 */
package io.tally.core.auth;
