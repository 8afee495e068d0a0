package dev.tollgate.dataplane.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * One IPv4 or IPv6 CIDR block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}; a bare address is a /32
 * or /128), parsed once when the replica is updated so that a request only compares bytes.
 *
 * <p>IPv4 and IPv6 are kept apart: an IPv4 block never matches an IPv6 address, except that an
 * IPv4-mapped IPv6 address ({@code ::ffff:10.1.2.3}) is compared as the IPv4 address it carries, as
 * a dual-stack socket reports IPv4 clients that way.
 */
public final class CidrBlock {

  private final byte[] network;
  private final int prefixBits;

  private CidrBlock(byte[] network, int prefixBits) {
    this.network = network;
    this.prefixBits = prefixBits;
  }

  /**
   * Parses {@code address[/prefix]}. Only numeric addresses are accepted (never a DNS lookup).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static CidrBlock parse(String cidr) {
    String text = cidr.trim();
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = numericAddress(address);
    if (bytes == null) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
    int maxBits = bytes.length * 8;
    int bits = maxBits;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a prefix length: " + text.substring(slash + 1));
      }
      if (bits < 0 || bits > maxBits) {
        throw new IllegalArgumentException("prefix length must be 0.." + maxBits + ": " + bits);
      }
    }
    return new CidrBlock(mask(bytes, bits), bits);
  }

  /** Whether the address (4 or 16 bytes, as {@link InetAddress#getAddress}) is in this block. */
  public boolean contains(byte[] address) {
    byte[] candidate = address;
    if (candidate.length == 16 && network.length == 4 && isIpv4Mapped(candidate)) {
      candidate = Arrays.copyOfRange(candidate, 12, 16);
    }
    if (candidate.length != network.length) {
      return false;
    }
    int fullBytes = prefixBits / 8;
    for (int i = 0; i < fullBytes; i++) {
      if (candidate[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixBits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest);
    return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
  }

  /**
   * The bytes of a numeric IPv4 or IPv6 address, or null when {@code text} is not one. Checked
   * before {@link InetAddress#getByName}, which would otherwise resolve a host name over DNS.
   */
  public static byte[] numericAddress(String text) {
    if (text.isEmpty()) {
      return null;
    }
    String candidate = text;
    if (candidate.startsWith("[") && candidate.endsWith("]")) {
      candidate = candidate.substring(1, candidate.length() - 1);
    }
    boolean ipv6 = candidate.indexOf(':') >= 0;
    for (int i = 0; i < candidate.length(); i++) {
      char c = candidate.charAt(i);
      boolean ok =
          (c >= '0' && c <= '9')
              || c == '.'
              || (ipv6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
      if (!ok) {
        return null;
      }
    }
    if (!ipv6 && !isDottedQuad(candidate)) {
      return null;
    }
    try {
      return InetAddress.getByName(candidate).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static boolean isDottedQuad(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv4Mapped(byte[] address) {
    for (int i = 0; i < 10; i++) {
      if (address[i] != 0) {
        return false;
      }
    }
    return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
  }

  private static byte[] mask(byte[] address, int bits) {
    byte[] masked = address.clone();
    for (int i = 0; i < masked.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - 8 * i));
      masked[i] = (byte) (masked[i] & (0xff << (8 - keep)));
    }
    return masked;
  }
}
