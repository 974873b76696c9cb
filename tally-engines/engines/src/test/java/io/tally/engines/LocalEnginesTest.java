package io.tally.engines;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealEngines.class)
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class LocalEnginesTest {
  private static final System.Logger LOG = System.getLogger(LocalEnginesTest.class.getName());

  private final LocalEngines engines;

  LocalEnginesTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Test
  void injectsOneEnginePairForTheWholeRun(LocalEngines again) {
    assertThat(again).isSameAs(engines);
    assertThat(engines.kafka().isRunning()).isTrue();
    assertThat(engines.cassandra().isRunning()).isTrue();
  }

  @Test
  void kafkaCarriesRecordsToAConsumerGroupAndKeepsItsOffsetsAcrossARestart() throws Exception {
    KafkaServer kafka = engines.kafka();
    String topic = "engines-test-" + UUID.randomUUID();
    String group = "engines-test-group";
    Map<String, Object> adminConfig =
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(adminConfig)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, SECONDS);
    }
    produce(topic, "before restart");
    assertThat(consumeAndCommit(topic, group)).containsExactly("before restart");

    long restartStarted = System.nanoTime();
    kafka.restart();
    LOG.log(
        System.Logger.Level.INFO,
        "Kafka restart (stop + start) took {0} ms",
        (System.nanoTime() - restartStarted) / 1_000_000);

    produce(topic, "after restart");
    assertThat(consumeAndCommit(topic, group)).containsExactly("after restart");
  }

  @Test
  void cassandraServesARowAgainAfterAStopAndStart() {
    CassandraServer cassandra = engines.cassandra();
    try (CqlSession session = session(cassandra)) {
      session.execute(
          "CREATE KEYSPACE engines_test WITH replication ="
              + " {'class': 'SimpleStrategy', 'replication_factor': 1}");
      session.execute("CREATE TABLE engines_test.kv (k text PRIMARY KEY, v bigint)");
      session.execute("INSERT INTO engines_test.kv (k, v) VALUES ('answer', 42)");
      assertThat(answer(session)).isEqualTo(42);

      long stopStarted = System.nanoTime();
      cassandra.stop();
      LOG.log(
          System.Logger.Level.INFO,
          "Cassandra stop took {0} ms",
          (System.nanoTime() - stopStarted) / 1_000_000);
      assertThatThrownBy(() -> answer(session)).isInstanceOf(AllNodesFailedException.class);

      long startStarted = System.nanoTime();
      cassandra.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(() -> answer(session) == 42);
      LOG.log(
          System.Logger.Level.INFO,
          "Cassandra start until the session read the row again took {0} ms",
          (System.nanoTime() - startStarted) / 1_000_000);
    }
  }

  private void produce(String topic, String value) throws Exception {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            engines.kafka().bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      producer.send(new ProducerRecord<>(topic, "key", value)).get(60, SECONDS);
    }
  }

  /** Polls until the group receives something, commits it, and returns the values received. */
  private List<String> consumeAndCommit(String topic, String group) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            engines.kafka().bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            group,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            StringDeserializer.class);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (values.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          values.add(record.value());
        }
      }
      consumer.commitSync();
    }
    return values;
  }

  /** A session that retries a restarted node within a second, as outage tests need. */
  private static CqlSession session(CassandraServer cassandra) {
    DriverConfigLoader config =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
            .withDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY, Duration.ofMillis(500))
            .withDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY, Duration.ofSeconds(1))
            .build();
    return CqlSession.builder()
        .addContactPoint(cassandra.contactPoint())
        .withLocalDatacenter(cassandra.localDatacenter())
        .withConfigLoader(config)
        .build();
  }

  private static long answer(CqlSession session) {
    Row row = session.execute("SELECT v FROM engines_test.kv WHERE k = 'answer'").one();
    assertThat(row).isNotNull();
    return row.getLong("v");
  }
}
