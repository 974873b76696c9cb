/**
 * The binary layouts core owns that every mode writes the same way: one event inside a log record
 * ({@link io.tally.core.codec.EventCodec}, the payload both event logs frame) and a record of the
 * deltas topic ({@link io.tally.core.codec.DeltaCodec} of a {@link
 * io.tally.core.codec.DeltaRecord}), each versioned, with its byte diagram; and {@link
 * io.tally.core.codec.CorruptRecordException}, what any reader of a durable format throws for bytes
 * that do not decode; and {@link io.tally.core.codec.StringCache}, a reading thread's cache of
 * decoded entities and types.
 */
package io.tally.core.codec;
