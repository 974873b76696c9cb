/**
 * HTTP plumbing shared by every route, whichever capability it serves: reading and decoding request
 * bodies ({@link io.tally.server.http.RequestBody}).
 */
package io.tally.server.http;
