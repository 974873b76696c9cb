/**
 * Cluster mode's Kafka adapters of the core seams: the event log on the events topic ({@link
 * io.tally.kafka.KafkaEventLog}); partition ownership as a member of the processors' consumer group
 * ({@link io.tally.kafka.KafkaLogConsumer}) and the transactional delta sink that commits each
 * flush with the consumed offsets in one exactly-once transaction ({@link
 * io.tally.kafka.KafkaDeltaSink}), which the one core processor runs on ({@link
 * io.tally.kafka.KafkaProcessors}); the materializer, which reads the deltas topic back and applies
 * it to any delta sink idempotent by position, each record as a batch sourced at its partition and
 * offset ({@link io.tally.kafka.Materializer}); the attributes topic and its per-node replica;
 * topic creation ({@link io.tally.kafka.Topics}); and every Kafka client setting in one place
 * ({@link io.tally.kafka.KafkaClients}).
 */
package io.tally.kafka;
