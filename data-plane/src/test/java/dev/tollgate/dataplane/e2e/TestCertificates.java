package dev.tollgate.dataplane.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway certificate authorities and the certificates they issue, made when a test runs with the
 * JDK's own {@code keytool} (nothing committed, no other tool needed), written as the PEM files a
 * Kubernetes TLS Secret holds: a certificate chain, an unencrypted PKCS#8 key, a CA certificate.
 * Valid for two days.
 */
final class TestCertificates {

  private static final String PASSWORD = "test-only";
  private static final Path KEYTOOL = Path.of(System.getProperty("java.home"), "bin", "keytool");

  /** A certificate and its key, as PEM files. */
  record Issued(Path cert, Path key) {}

  /** A CA: its keystore (to sign with) and its certificate as PEM (to trust). */
  record Authority(Path dir, String name, Path keystore, Path cert) {

    /** A certificate for {@code name}, valid for localhost and 127.0.0.1, for {@code usage}. */
    Issued issue(String name, String usage) throws IOException, GeneralSecurityException {
      Path keystore = dir.resolve(name + ".p12");
      Path request = dir.resolve(name + ".csr");
      Path leaf = dir.resolve(name + ".leaf.pem");
      newKeyPair(keystore, name, name);
      keytool(
          "-certreq",
          "-alias",
          name,
          "-file",
          request.toString(),
          "-keystore",
          keystore.toString(),
          "-storepass",
          PASSWORD);
      keytool(
          "-gencert",
          "-alias",
          "ca",
          "-infile",
          request.toString(),
          "-outfile",
          leaf.toString(),
          "-rfc",
          "-validity",
          "2",
          "-ext",
          "san=dns:localhost,ip:127.0.0.1",
          "-ext",
          "eku=" + usage,
          "-ext",
          "ku:c=digitalSignature",
          "-keystore",
          this.keystore.toString(),
          "-storepass",
          PASSWORD);
      Path chain = dir.resolve(name + ".crt");
      Files.writeString(chain, Files.readString(leaf) + Files.readString(cert));
      Path key = dir.resolve(name + ".key");
      Files.writeString(key, privateKeyPem(keystore, name));
      return new Issued(chain, key);
    }
  }

  private TestCertificates() {}

  /** A new self-signed CA named {@code name}, its files under {@code dir}. */
  static Authority authority(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path keystore = dir.resolve(name + ".p12");
    Path cert = dir.resolve(name + ".pem");
    Files.deleteIfExists(keystore);
    newKeyPair(keystore, "ca", name, "-ext", "bc:c=ca:true", "-ext", "ku:c=keyCertSign,cRLSign");
    keytool(
        "-exportcert",
        "-alias",
        "ca",
        "-rfc",
        "-file",
        cert.toString(),
        "-keystore",
        keystore.toString(),
        "-storepass",
        PASSWORD);
    return new Authority(dir, name, keystore, cert);
  }

  /** A P-256 key pair with a self-signed certificate for CN={@code name}, in a new keystore. */
  private static void newKeyPair(Path keystore, String alias, String name, String... extensions)
      throws IOException {
    List<String> arguments =
        new ArrayList<>(
            List.of(
                "-genkeypair",
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + name,
                "-validity",
                "2",
                "-keystore",
                keystore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD));
    arguments.addAll(List.of(extensions));
    keytool(arguments.toArray(String[]::new));
  }

  private static String privateKeyPem(Path keystore, String alias)
      throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    Key key = store.getKey(alias, PASSWORD.toCharArray());
    // PKCS12 keys encode as PKCS#8, the form Netty reads.
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  private static void keytool(String... arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(KEYTOOL.toString());
    command.addAll(List.of(arguments));
    command.add("-noprompt");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("keytool did not finish in 60 s: " + command);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new IOException("keytool failed (" + process.exitValue() + "): " + output);
    }
  }
}
