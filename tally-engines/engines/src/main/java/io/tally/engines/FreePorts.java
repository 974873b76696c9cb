package io.tally.engines;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks loopback ports for engines, below the kernel's ephemeral range: an engine's port stays
 * unbound while it restarts (tests stop Cassandra for 20 s and more), and a port from the ephemeral
 * range could meanwhile become the local end of some client's connection. A port is taken if it can
 * be bound now; another process may still bind it first. Stateless.
 */
public final class FreePorts {
  private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  private static final int LOWEST = 10_000;
  private static final int ATTEMPTS = 1_000;

  private FreePorts() {}

  /** {@code count} distinct ports that are free on loopback now. */
  public static int[] take(int count) {
    int highest = ephemeralStart() - 1;
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int attempt = 0; held.size() < count && attempt < ATTEMPTS; attempt++) {
        int port = highest > LOWEST ? ThreadLocalRandom.current().nextInt(LOWEST, highest + 1) : 0;
        try {
          held.add(new ServerSocket(port, 1, InetAddress.getLoopbackAddress()));
        } catch (IOException inUse) {
          // try another
        }
      }
      if (held.size() < count) {
        throw new EngineException("found only " + held.size() + " of " + count + " free ports");
      }
      return held.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } finally {
      for (ServerSocket socket : held) {
        try {
          socket.close();
        } catch (IOException e) {
          // nothing to undo
        }
      }
    }
  }

  /** The first ephemeral port (Linux); 0 if unknown, which makes the kernel choose. */
  private static int ephemeralStart() {
    try {
      // Not Files.readString: /proc files report size 0, and it then reads a single byte.
      return Integer.parseInt(Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
