package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.ControlPlaneConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts provider secrets at rest with AES-256-GCM. Stored form: a random 12-byte nonce followed
 * by the ciphertext and the 16-byte tag. A fresh nonce per secret is what keeps GCM safe with one
 * key; the tag makes a tampered or wrongly keyed row fail loudly instead of yielding garbage.
 *
 * <p>Created at start-up so a bad TOLLGATE_ENCRYPTION_KEY stops the process before it serves.
 */
@Startup
@ApplicationScoped
public class SecretCipher {

  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  @Inject
  SecretCipher(ControlPlaneConfig config) {
    this(config.encryptionKey());
  }

  public SecretCipher(String base64Key) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64Key.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "TOLLGATE_ENCRYPTION_KEY is not valid base64; create one with: openssl rand -base64 32");
    }
    if (raw.length != KEY_BYTES) {
      throw new IllegalStateException(
          "TOLLGATE_ENCRYPTION_KEY must be base64 of exactly 32 bytes, it decodes to "
              + raw.length
              + "; create one with: openssl rand -base64 32");
    }
    this.key = new SecretKeySpec(raw, "AES");
  }

  public byte[] encrypt(String secret) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  public String decrypt(byte[] stored) {
    if (stored.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalStateException("stored provider secret is truncated");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, stored, 0, NONCE_BYTES));
      byte[] plain = cipher.doFinal(stored, NONCE_BYTES, stored.length - NONCE_BYTES);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot decrypt a provider secret: wrong TOLLGATE_ENCRYPTION_KEY or a tampered row", e);
    }
  }
}
