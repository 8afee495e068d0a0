package dev.tollgate.controlplane.admin;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.controlplane.audit.AuditLog;
import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Operator tokens: created (the secret shown once, its SHA-256 kept), listed and revoked, and
 * looked up for every admin request.
 *
 * <p>Lookups are cached per token hash for {@code tollgate.operators.cache-ttl} (1 s by default),
 * unknown tokens included, so a request costs no query in the usual case. A revoke drops the entry
 * at once on the replica that served it; other replicas read the token again within the TTL, which
 * bounds how long a revoked token keeps working anywhere.
 */
@ApplicationScoped
public class OperatorTokenService {

  static final String ENTITY = "operator_token";

  private static final String PREFIX = "tgo-";
  private static final int RANDOM_CHARS = 40;
  private static final int SHOWN_PREFIX = 12;
  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  public static final ListRequest.Spec SPEC =
      new ListRequest.Spec(List.of("created"), Set.of(), Set.of(), false, false, false, false);

  private static final Map<String, ListQuery.SortColumn> SORTS =
      Map.of("created", new ListQuery.SortColumn("t.id", "int8"));

  private final DataSource dataSource;
  private final ReadConnections reads;
  private final AuditLog audit;
  private final CurrentOperator operator;
  private final Cache<String, Optional<Operator>> cache;
  private final SecureRandom random = new SecureRandom();

  OperatorTokenService(
      DataSource dataSource,
      ReadConnections reads,
      AuditLog audit,
      CurrentOperator operator,
      ControlPlaneConfig config) {
    this.dataSource = dataSource;
    this.reads = reads;
    this.audit = audit;
    this.operator = operator;
    this.cache =
        Caffeine.newBuilder()
            .expireAfterWrite(config.operators().cacheTtl())
            // Bounds what random wrong tokens can make us remember.
            .maximumSize(10_000)
            .build();
  }

  /** The operator a token hash belongs to, from the cache when it holds the answer, else null. */
  public Optional<Operator> cached(String tokenHash) {
    return cache.getIfPresent(tokenHash);
  }

  /** Reads the token from the database (blocking) and caches the answer. */
  public Optional<Operator> lookup(String tokenHash) {
    Optional<Operator> found;
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT id, role FROM operator_token WHERE token_hash = ? AND revoked_at IS NULL")) {
      statement.setString(1, tokenHash);
      try (ResultSet rows = statement.executeQuery()) {
        found =
            rows.next()
                ? Optional.of(new Operator("token:" + rows.getLong(1), rows.getString(2)))
                : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read operator tokens", e);
    }
    cache.put(tokenHash, found);
    return found;
  }

  @Transactional
  public CreatedOperatorTokenView create(CreateOperatorTokenRequest request) {
    Fields.required("body", request);
    String name = Fields.name("name", request.name());
    String role = Fields.required("role", request.role());
    if (!role.equals(Operator.ADMIN) && !role.equals(Operator.VIEWER)) {
      throw ProblemException.badRequest("role", "role must be \"viewer\" or \"admin\"");
    }
    var secret = new StringBuilder(PREFIX);
    for (int i = 0; i < RANDOM_CHARS; i++) {
      secret.append(BASE62[random.nextInt(BASE62.length)]);
    }
    String token = secret.toString();
    var row = new OperatorToken();
    row.name = name;
    row.role = role;
    row.prefix = token.substring(0, SHOWN_PREFIX);
    row.tokenHash = HexFormat.of().formatHex(AdminAuthFilter.sha256(token));
    row.createdBy = operator.get().actor();
    row.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
    row.persist();
    OperatorTokenView view = row.view();
    audit.record("create", ENTITY, row.id, null, view);
    return new CreatedOperatorTokenView(token, view);
  }

  /** Revokes a token for good; revoking a revoked token changes nothing. */
  @Transactional
  public void revoke(long id) {
    OperatorToken row = find(id);
    if (row.revokedAt != null) {
      return;
    }
    OperatorTokenView before = row.view();
    row.revokedAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
    cache.invalidate(row.tokenHash);
    audit.record("revoke", ENTITY, id, before, row.view());
  }

  @Transactional
  public OperatorTokenView get(long id) {
    return find(id).view();
  }

  @Transactional
  public Object list(ListRequest request) {
    var query = new ListQuery("operator_token t", "t.id", SORTS);
    query.range("t.created_at", request.createdFrom(), request.createdTo());
    return query.answer(reads, request, OperatorToken.class, OperatorToken::view);
  }

  private static OperatorToken find(long id) {
    OperatorToken row = OperatorToken.findById(id, LockModeType.PESSIMISTIC_WRITE);
    if (row == null) {
      throw ProblemException.notFound("operator token", id);
    }
    return row;
  }
}
