package dev.tollgate.controlplane.console;

import dev.tollgate.controlplane.admin.AdminAuthFilter;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The console's files, read once from the classpath ({@code console/}) and held in memory.
 *
 * <p>The page names every script and style sheet as {@code assets/<file>}; those are loaded, and
 * their content hashed into a version that replaces the prefix ({@code
 * /console/assets/<version>/<file>}). A file's URL therefore changes exactly when some file
 * changes, so browsers may cache assets for good, and relative imports between modules resolve
 * under the same version. A file the page does not name is not served (a test checks that the page
 * names every file in {@code console/assets}).
 */
@ApplicationScoped
public class ConsoleAssets {

  /** What the page names: {@code assets/app.js}, {@code assets/pages/keys.js}. */
  static final Pattern REFERENCE =
      Pattern.compile("\"assets/([a-z0-9-]+(?:/[a-z0-9-]+)*\\.(js|css))\"");

  /** One file: its bytes and Content-Type. */
  record Asset(byte[] body, String contentType) {}

  private final Map<String, Asset> assets = new LinkedHashMap<>();
  private final String version;
  private final byte[] page;

  ConsoleAssets() {
    String html = new String(read("console/index.html"), StandardCharsets.UTF_8);
    Matcher references = REFERENCE.matcher(html);
    var digest = new StringBuilder();
    while (references.find()) {
      String name = references.group(1);
      if (!assets.containsKey(name)) {
        byte[] body = read("console/assets/" + name);
        String type =
            name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
        assets.put(name, new Asset(body, type));
        digest.append(name).append('\0').append(HexFormat.of().formatHex(sha256(body)));
      }
    }
    this.version =
        HexFormat.of().formatHex(AdminAuthFilter.sha256(digest.toString())).substring(0, 16);
    this.page =
        html.replace("\"assets/", "\"/console/assets/" + version + "/")
            .getBytes(StandardCharsets.UTF_8);
  }

  /** The page every console URL answers with, its asset URLs versioned. */
  byte[] page() {
    return page;
  }

  String version() {
    return version;
  }

  /** The asset named {@code name} under {@code version}, or null. */
  Asset asset(String version, String name) {
    return this.version.equals(version) ? assets.get(name) : null;
  }

  Map<String, Asset> all() {
    return assets;
  }

  private static byte[] sha256(byte[] body) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(body);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] read(String resource) {
    try (InputStream in =
        Thread.currentThread().getContextClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the control plane's jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
