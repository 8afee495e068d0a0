package dev.tollgate.dataplane.config;

import dev.tollgate.proto.config.v1.ApiKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * A client key's address and model rules, parsed once per key copy when the replica is updated
 * (never per request).
 *
 * <p>An entry the control plane sent that does not parse is a configuration error: an unreadable
 * deny entry makes the key refuse every address (the safe side: it was meant to keep someone out);
 * an unreadable allow entry admits nobody by itself. Both are logged when the copy arrives.
 *
 * @param deny blocks checked first: an address in any of them is refused
 * @param allow blocks the address must be in; empty = any address
 * @param denyAll true when the rules cannot be applied safely: a deny entry, or every allow entry,
 *     could not be parsed
 * @param allowedModels public model names the key may use; empty = every model of its groups
 */
public record KeyRules(
    List<CidrBlock> deny, List<CidrBlock> allow, boolean denyAll, Set<String> allowedModels) {

  private static final Logger LOG = Logger.getLogger(KeyRules.class);

  static final KeyRules NONE = new KeyRules(List.of(), List.of(), false, Set.of());

  static KeyRules of(ApiKey key) {
    if (key.getIpDenyCount() == 0
        && key.getIpAllowCount() == 0
        && key.getAllowedModelsCount() == 0) {
      return NONE;
    }
    List<CidrBlock> deny = new ArrayList<>();
    boolean denyAll = false;
    for (String cidr : key.getIpDenyList()) {
      try {
        deny.add(CidrBlock.parse(cidr));
      } catch (IllegalArgumentException bad) {
        denyAll = true;
        LOG.warnf(
            "Key %d: ip_deny entry '%s' is not a CIDR (%s); the key refuses every address",
            key.getId(), cidr, bad.getMessage());
      }
    }
    List<CidrBlock> allow = new ArrayList<>();
    for (String cidr : key.getIpAllowList()) {
      try {
        allow.add(CidrBlock.parse(cidr));
      } catch (IllegalArgumentException bad) {
        LOG.warnf(
            "Key %d: ip_allow entry '%s' is not a CIDR (%s); it admits no address",
            key.getId(), cidr, bad.getMessage());
      }
    }
    boolean allowListUnusable = key.getIpAllowCount() > 0 && allow.isEmpty();
    return new KeyRules(
        List.copyOf(deny),
        List.copyOf(allow),
        denyAll || allowListUnusable,
        Set.copyOf(key.getAllowedModelsList()));
  }

  /** Whether a client at {@code address} (4 or 16 bytes; null = unknown) may use the key. */
  public boolean admitsAddress(byte[] address) {
    if (denyAll) {
      return false;
    }
    if (deny.isEmpty() && allow.isEmpty()) {
      return true;
    }
    if (address == null) {
      // Rules exist but the address is unknown: it cannot be shown to be allowed.
      return false;
    }
    for (CidrBlock block : deny) {
      if (block.contains(address)) {
        return false;
      }
    }
    if (allow.isEmpty()) {
      return true;
    }
    for (CidrBlock block : allow) {
      if (block.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the key may use the public model name. */
  public boolean admitsModel(String model) {
    return allowedModels.isEmpty() || allowedModels.contains(model);
  }
}
