package dev.tollgate.dataplane.auth;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.config.CidrBlock;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The address a request comes from, as the keys' {@code ip_allow} / {@code ip_deny} lists see it.
 *
 * <p>By default the TCP peer: a forwarded-for header is trivially forged by any client that can
 * reach the data plane directly, so it is only read when configured ({@code
 * tollgate.client-ip.header}), and then only as far as the configured proxies are trusted: either
 * the right-most {@code trusted-hops} entries, or, with {@code trusted-proxies}, entries from the
 * right while they are trusted proxies (and only when the TCP peer is one of them).
 *
 * <p>Thread-safe: immutable after construction; the trusted CIDRs are parsed once at start.
 */
@ApplicationScoped
public class ClientAddressResolver {

  private final String header;
  private final int trustedHops;
  private final List<CidrBlock> trustedProxies;

  @Inject
  ClientAddressResolver(DataPlaneConfig config) {
    this(
        config.clientIp().header(),
        config.clientIp().trustedHops(),
        config.clientIp().trustedProxies());
  }

  /**
   * @throws IllegalArgumentException naming the setting that is wrong
   */
  public ClientAddressResolver(String header, int trustedHops, Optional<List<String>> proxies) {
    this.header =
        header == null || header.isBlank() || header.equalsIgnoreCase("none") ? null : header;
    if (trustedHops < 1) {
      throw new IllegalArgumentException(
          "tollgate.client-ip.trusted-hops must be at least 1, got " + trustedHops);
    }
    this.trustedHops = trustedHops;
    List<CidrBlock> parsed = new ArrayList<>();
    for (String cidr : proxies.orElse(List.of())) {
      try {
        parsed.add(CidrBlock.parse(cidr));
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(
            "tollgate.client-ip.trusted-proxies: '" + cidr + "' is not a CIDR: " + bad.getMessage(),
            bad);
      }
    }
    this.trustedProxies = List.copyOf(parsed);
  }

  /** The client's address (4 or 16 bytes), or null when it cannot be told. */
  public byte[] resolve(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    byte[] peer =
        remote == null || remote.hostAddress() == null
            ? null
            : CidrBlock.numericAddress(remote.hostAddress());
    if (header == null) {
      return peer;
    }
    return fromHeader(request.headers().getAll(header), peer);
  }

  /** The client address from the header's values (in order of appearance) and the TCP peer. */
  byte[] fromHeader(List<String> values, byte[] peer) {
    List<String> entries = new ArrayList<>();
    for (String value : values) {
      for (String entry : value.split(",")) {
        String trimmed = entry.trim();
        if (!trimmed.isEmpty()) {
          entries.add(trimmed);
        }
      }
    }
    if (!trustedProxies.isEmpty()) {
      if (peer == null || !trusted(peer)) {
        return peer;
      }
      for (int i = entries.size() - 1; i >= 0; i--) {
        byte[] address = CidrBlock.numericAddress(entries.get(i));
        if (address == null) {
          // Garbage where a trusted proxy should have written an address: nothing left is
          // trustworthy.
          return null;
        }
        if (!trusted(address)) {
          return address;
        }
      }
      return peer;
    }
    if (entries.size() < trustedHops) {
      return peer;
    }
    return CidrBlock.numericAddress(entries.get(entries.size() - trustedHops));
  }

  private boolean trusted(byte[] address) {
    for (CidrBlock proxy : trustedProxies) {
      if (proxy.contains(address)) {
        return true;
      }
    }
    return false;
  }
}
