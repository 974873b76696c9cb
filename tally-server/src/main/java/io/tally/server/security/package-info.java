/**
 * The gateway's security: API keys with scopes and publishable browser keys ({@link
 * io.tally.server.security.SecurityGate}), the admin routes that manage keys ({@link
 * io.tally.server.security.AdminKeyRoutes}) and their audit log ({@link
 * io.tally.server.security.AuditLog}), rate limits ({@link
 * io.tally.server.security.ClientRateLimiter}), TLS and the hardened connection limits ({@link
 * io.tally.server.security.ConnectionGuard}), all mounted on the HTTP API by {@link
 * io.tally.server.security.GatewaySecurity}. docs/security.md is the threat model.
 */
package io.tally.server.security;
