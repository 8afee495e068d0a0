package dev.tollgate.controlplane.console;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.controlplane.admin.AdminAuthFilter;
import dev.tollgate.controlplane.admin.Operator;
import dev.tollgate.controlplane.admin.OperatorTokenService;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.admin.SessionAuthenticator;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Console sessions: opened with an operator token, kept in PostgreSQL (so every replica knows
 * them), and resolved on each admin request to the operator whose token opened them.
 *
 * <p>The cookie holds 32 random bytes; the table keeps their SHA-256. The CSRF token is an HMAC of
 * the session id under a key derived from TOLLGATE_ENCRYPTION_KEY, so every replica can check it
 * without storing it, and a script on another site (which cannot read our answers) cannot know it.
 *
 * <p>Revocation: a session remembers its token by the token's hash and resolves the operator
 * through {@link OperatorTokenService} on every request, so a revoked token ends its sessions as
 * fast as it stops working as a bearer token (at once on the replica that revoked it, elsewhere
 * within {@code tollgate.operators.cache-ttl}). Session rows are cached per replica for the same
 * TTL, which bounds how long a signed-out session keeps working on another replica.
 */
@ApplicationScoped
public class ConsoleSessionService implements SessionAuthenticator {

  /** The cookie's name; its value is the session id. */
  public static final String COOKIE = "tollgate_console";

  /** The header carrying the CSRF token on every change. */
  public static final String CSRF_HEADER = "X-CSRF-Token";

  private static final Logger LOG = Logger.getLogger(ConsoleSessionService.class);

  /** Sliding the idle end costs a write: do it at most this often per session. */
  private static final Duration TOUCH_EVERY = Duration.ofMinutes(1);

  /** Expired rows deleted per sign-in: bounds the work a sign-in does. */
  private static final int EXPIRED_DELETED_PER_SIGN_IN = 1000;

  private final DataSource dataSource;
  private final OperatorTokenService tokens;
  private final Duration idleTimeout;
  private final Duration maxAge;
  private final byte[] adminDigest;
  private final SecretKeySpec key;
  private final String bootstrapHash;
  private final Cache<String, Optional<SessionRow>> cache;
  private final SecureRandom random = new SecureRandom();

  /** A session as stored. */
  record SessionRow(String tokenHash, boolean bootstrap, Instant expiresAt, Instant endsAt) {}

  /** An open session: the cookie value, who it is, its CSRF token and when it ends if unused. */
  public record Session(String id, Operator operator, String csrfToken, Instant expiresAt) {}

  ConsoleSessionService(
      DataSource dataSource, OperatorTokenService tokens, ControlPlaneConfig config) {
    this.dataSource = dataSource;
    this.tokens = tokens;
    this.idleTimeout = config.console().sessionIdleTimeout();
    this.maxAge = config.console().sessionMaxAge();
    if (idleTimeout.isNegative() || idleTimeout.isZero() || maxAge.compareTo(idleTimeout) < 0) {
      throw new IllegalArgumentException(
          "tollgate.console.session-idle-timeout must be positive and at most"
              + " tollgate.console.session-max-age (TOLLGATE_CONSOLE_SESSION_IDLE_TIMEOUT,"
              + " TOLLGATE_CONSOLE_SESSION_MAX_AGE)");
    }
    this.adminDigest = AdminAuthFilter.sha256(config.adminToken());
    // A key of its own, derived from the encryption key, so the two uses never share one.
    byte[] root = Base64.getDecoder().decode(config.encryptionKey().trim());
    this.key =
        new SecretKeySpec(hmac(new SecretKeySpec(root, "HmacSHA256"), "console v1"), "HmacSHA256");
    this.bootstrapHash = HexFormat.of().formatHex(hmac(key, "bootstrap:" + config.adminToken()));
    this.cache =
        Caffeine.newBuilder()
            .expireAfterWrite(config.operators().cacheTtl())
            .maximumSize(10_000)
            .build();
  }

  /**
   * Opens a session for an operator token (blocking): the bootstrap token or an unrevoked operator
   * token, else 401. Deletes some expired sessions on the way.
   */
  public Session signIn(String token) {
    byte[] digest = AdminAuthFilter.sha256(token);
    Operator operator;
    String tokenHash;
    boolean bootstrap = MessageDigest.isEqual(adminDigest, digest);
    if (bootstrap) {
      operator = Operator.BOOTSTRAP;
      tokenHash = bootstrapHash;
    } else {
      tokenHash = HexFormat.of().formatHex(digest);
      operator =
          tokens
              .lookup(tokenHash)
              .orElseThrow(
                  () ->
                      new ProblemException(
                          401, "Unauthorized", "unknown or revoked operator token", "token"));
    }
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    String id = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Instant endsAt = now.plus(maxAge);
    Instant expiresAt = min(now.plus(idleTimeout), endsAt);
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement s =
          c.prepareStatement(
              "DELETE FROM console_session WHERE id_hash IN (SELECT id_hash FROM console_session"
                  + " WHERE expires_at < ? LIMIT "
                  + EXPIRED_DELETED_PER_SIGN_IN
                  + ")")) {
        s.setTimestamp(1, Timestamp.from(now));
        s.executeUpdate();
      }
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO console_session (id_hash, token_hash, bootstrap, created_at, expires_at,"
                  + " ends_at) VALUES (?, ?, ?, ?, ?, ?)")) {
        s.setString(1, idHash(id));
        s.setString(2, tokenHash);
        s.setBoolean(3, bootstrap);
        s.setTimestamp(4, Timestamp.from(now));
        s.setTimestamp(5, Timestamp.from(expiresAt));
        s.setTimestamp(6, Timestamp.from(endsAt));
        s.executeUpdate();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot store the console session", e);
    }
    LOG.infof("console sign-in by %s (role %s)", operator.actor(), operator.role());
    return new Session(id, operator, csrfToken(id), expiresAt);
  }

  /** The open session with this id, or a 401 failure. */
  public Uni<Session> current(String id) {
    if (id == null || id.isEmpty()) {
      return Uni.createFrom().failure(ended());
    }
    return resolve(id)
        .map(
            resolved ->
                new Session(id, resolved.operator(), csrfToken(id), resolved.row().expiresAt()));
  }

  /** Ends the session (blocking); ending an unknown or ended one changes nothing. */
  public void signOut(String id) {
    String hash = idHash(id);
    delete(hash);
    cache.invalidate(hash);
  }

  @Override
  public boolean carriesSession(ContainerRequestContext request) {
    return request.getCookies().containsKey(COOKIE);
  }

  @Override
  public Uni<Operator> operator(ContainerRequestContext request) {
    Cookie cookie = request.getCookies().get(COOKIE);
    String id = cookie == null ? null : cookie.getValue();
    if (id == null || id.isEmpty()) {
      return Uni.createFrom().failure(ended());
    }
    String method = request.getMethod();
    if (!method.equals(HttpMethod.GET)
        && !method.equals(HttpMethod.HEAD)
        && !csrfMatches(id, request.getHeaderString(CSRF_HEADER))) {
      return Uni.createFrom().failure(csrfRefused());
    }
    return resolve(id).map(Resolved::operator);
  }

  /** Whether {@code presented} is the CSRF token of session {@code id}, in constant time. */
  boolean csrfMatches(String id, String presented) {
    return presented != null
        && MessageDigest.isEqual(
            csrfToken(id).getBytes(StandardCharsets.US_ASCII),
            presented.getBytes(StandardCharsets.US_ASCII));
  }

  static ProblemException csrfRefused() {
    return new ProblemException(
        403,
        "Forbidden",
        "a change through a console session needs the session's CSRF token in " + CSRF_HEADER,
        CSRF_HEADER);
  }

  private record Resolved(SessionRow row, Operator operator) {}

  private Uni<Resolved> resolve(String id) {
    String hash = idHash(id);
    Optional<SessionRow> cached = cache.getIfPresent(hash);
    Uni<Optional<SessionRow>> row =
        cached != null
            ? Uni.createFrom().item(cached)
            : Uni.createFrom()
                .item(() -> load(hash))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    return row.flatMap(found -> resolve(hash, found));
  }

  private Uni<Resolved> resolve(String hash, Optional<SessionRow> found) {
    Instant now = Instant.now();
    if (found.isEmpty() || !found.get().expiresAt().isAfter(now)) {
      return Uni.createFrom().failure(ended());
    }
    SessionRow row = found.get();
    Uni<Optional<Operator>> operator;
    if (row.bootstrap()) {
      operator =
          Uni.createFrom()
              .item(
                  MessageDigest.isEqual(
                          row.tokenHash().getBytes(StandardCharsets.US_ASCII),
                          bootstrapHash.getBytes(StandardCharsets.US_ASCII))
                      ? Optional.of(Operator.BOOTSTRAP)
                      : Optional.empty());
    } else {
      Optional<Operator> known = tokens.cached(row.tokenHash());
      operator =
          known != null
              ? Uni.createFrom().item(known)
              : Uni.createFrom()
                  .item(() -> tokens.lookup(row.tokenHash()))
                  .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }
    return operator.flatMap(
        op -> {
          if (op.isEmpty()) {
            // Its token was revoked (or the bootstrap token changed): the session is over.
            cache.put(hash, Optional.empty());
            Infrastructure.getDefaultWorkerPool().execute(() -> delete(hash));
            return Uni.createFrom().failure(ended());
          }
          return Uni.createFrom().item(new Resolved(touch(hash, row, now), op.get()));
        });
  }

  /** Slides the idle end forward when that moves it by a minute or more; writes off the caller. */
  private SessionRow touch(String hash, SessionRow row, Instant now) {
    Instant expiresAt = min(now.plus(idleTimeout), row.endsAt()).truncatedTo(ChronoUnit.MICROS);
    if (Duration.between(row.expiresAt(), expiresAt).compareTo(TOUCH_EVERY) < 0) {
      return row;
    }
    SessionRow moved = new SessionRow(row.tokenHash(), row.bootstrap(), expiresAt, row.endsAt());
    cache.put(hash, Optional.of(moved));
    Infrastructure.getDefaultWorkerPool()
        .execute(
            () ->
                update(
                    "UPDATE console_session SET expires_at = GREATEST(expires_at, ?) WHERE id_hash = ?",
                    Timestamp.from(expiresAt),
                    hash));
    return moved;
  }

  private Optional<SessionRow> load(String hash) {
    Optional<SessionRow> found;
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT token_hash, bootstrap, expires_at, ends_at FROM console_session"
                    + " WHERE id_hash = ?")) {
      s.setString(1, hash);
      try (ResultSet r = s.executeQuery()) {
        found =
            r.next()
                ? Optional.of(
                    new SessionRow(
                        r.getString(1),
                        r.getBoolean(2),
                        r.getTimestamp(3).toInstant(),
                        r.getTimestamp(4).toInstant()))
                : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read console sessions", e);
    }
    cache.put(hash, found);
    return found;
  }

  private void delete(String hash) {
    update("DELETE FROM console_session WHERE id_hash = ?", hash);
  }

  private void update(String sql, Object... parameters) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        s.setObject(i + 1, parameters[i]);
      }
      s.executeUpdate();
    } catch (SQLException e) {
      LOG.warnf("console session update failed: %s", e.getMessage());
    }
  }

  private String csrfToken(String id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(hmac(key, "csrf:" + id));
  }

  private static String idHash(String id) {
    return HexFormat.of().formatHex(AdminAuthFilter.sha256(id));
  }

  private static ProblemException ended() {
    return new ProblemException(
        401,
        "Unauthorized",
        "the console session has ended (expired, signed out, or its token revoked): sign in again",
        "Cookie");
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static byte[] hmac(SecretKeySpec key, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform provides HmacSHA256", e);
    }
  }
}
