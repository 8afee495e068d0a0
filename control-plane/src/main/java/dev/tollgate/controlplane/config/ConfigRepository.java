package dev.tollgate.controlplane.config;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.controlplane.groups.SecretCipher;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.SnapshotEnd;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.UserGroupLimit;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * Reads the configuration the data plane replicates, with plain SQL: a snapshot or a change set
 * must stay cheap at 100k+ keys, so rows are streamed (cursor fetches) straight into protobuf
 * messages instead of loading entity graphs.
 *
 * <p>Each read is one read-only REPEATABLE READ transaction: the revision and the rows come from
 * the same database snapshot, and because revisions commit in order (see {@link ConfigRevisions})
 * every row changed up to that revision is visible and none after it.
 */
@ApplicationScoped
public class ConfigRepository {

  private static final int FETCH_SIZE = 1000;

  private static final String USERS =
      "SELECT id, status, rpm_limit, concurrency_limit FROM app_user";
  private static final String KEYS =
      "SELECT k.id, k.user_id, k.token_hash, k.status, k.expires_at, k.quota_limit, k.quota_used,"
          + " k.rpm_limit, k.concurrency_limit, k.tpm_limit, k.allowed_models, k.ip_allow, k.ip_deny,"
          + " ARRAY(SELECT g.group_id FROM api_key_group g WHERE g.key_id = k.id"
          + " ORDER BY g.group_id) AS group_ids"
          + " FROM api_key k";

  /**
   * Live keys with their group ids, in one pass: both sides are read in key id order (primary key
   * indexes), so PostgreSQL can merge them and aggregate as it goes instead of running a sub-query
   * per key.
   */
  private static final String SNAPSHOT_KEYS =
      "SELECT k.id, k.user_id, k.token_hash, k.status, k.expires_at, k.quota_limit, k.quota_used,"
          + " k.rpm_limit, k.concurrency_limit, k.tpm_limit, k.allowed_models, k.ip_allow, k.ip_deny,"
          + " COALESCE(g.group_ids, '{}') AS group_ids"
          + " FROM api_key k LEFT JOIN (SELECT key_id, array_agg(group_id ORDER BY group_id)"
          + " AS group_ids FROM api_key_group GROUP BY key_id) g ON g.key_id = k.id"
          + " WHERE k.status <> 'revoked' ORDER BY k.id";

  private static final String GROUPS =
      "SELECT id, name, platform, models, model_mapping::text AS model_mapping, status, rpm_limit,"
          + " fallback_group_id FROM provider_group";
  private static final String PROVIDER_KEYS =
      "SELECT id, group_id, base_url, secret_ciphertext, priority, weight, status, max_concurrent,"
          + " learned_max_concurrent, learning_reset_at FROM provider_key";
  private static final String USER_GROUP_LIMITS =
      "SELECT user_id, group_id, rpm_override FROM user_group_limit";

  private static final TypeReference<Map<String, String>> MAPPING = new TypeReference<>() {};

  private final DataSource dataSource;
  private final SecretCipher cipher;
  private final ObjectMapper json;

  ConfigRepository(DataSource dataSource, SecretCipher cipher, ObjectMapper json) {
    this.dataSource = dataSource;
    this.cipher = cipher;
    this.json = json;
  }

  /** The revision of the newest committed config change. */
  public long currentRevision() throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT revision FROM config_state WHERE id = 1")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  /**
   * Streams everything a data plane serves from, at one revision, into {@code chunker}: {@code
   * begin} gets the revision first, then the chunker receives every entity (and hands out chunks as
   * they fill), and the returned totals close the stream. Revoked keys and deleted users, groups
   * and provider keys are left out: they can never serve again. So are overrides that were cleared
   * (NULL).
   *
   * <p>Rows come from server-side cursors in one REPEATABLE READ transaction, so memory does not
   * grow with the table sizes; keys and their group bindings are read in one ordered pass (a merge
   * of two index scans) rather than one sub-query per key.
   */
  public SnapshotEnd snapshot(LongConsumer begin, ConfigChunker chunker) throws SQLException {
    return inReadOnlySnapshot(
        connection -> {
          long revision = readRevision(connection);
          begin.accept(revision);
          String live = " WHERE status <> 'deleted'";
          select(connection, USERS + live, -1, rows -> chunker.add(user(rows)));
          select(connection, SNAPSHOT_KEYS, -1, rows -> chunker.add(key(rows)));
          select(connection, GROUPS + live, -1, rows -> chunker.add(group(rows)));
          select(connection, PROVIDER_KEYS + live, -1, rows -> chunker.add(providerKey(rows)));
          select(
              connection,
              USER_GROUP_LIMITS + " WHERE rpm_override IS NOT NULL",
              -1,
              rows -> chunker.add(userGroupLimit(rows)));
          chunker.finish();
          return chunker.end(revision);
        });
  }

  /** Thrown when a change set would carry more entities than a Watch stream may hold. */
  public static final class ChangeSetTooLarge extends Exception {
    ChangeSetTooLarge(long afterRevision, long limit) {
      super(
          "more than "
              + limit
              + " entities changed after revision "
              + afterRevision
              + "; load a new snapshot");
    }
  }

  /**
   * Every entity whose last change is after {@code afterRevision}, whole and as it is now: revoked,
   * disabled and deleted ones (STATUS_DELETED) and cleared overrides (rpm_override unset) included,
   * so the data plane drops them. Returned as one or more messages under {@code budgetBytes} each,
   * all with the committed revision the rows are consistent with and {@code afterRevision}, every
   * one but the last marked {@code continued}. At least one message, even when nothing changed.
   *
   * @throws ChangeSetTooLarge when more than {@code maxEntities} entities changed: the caller then
   *     sends the data plane to a snapshot instead of holding them all
   */
  public List<ConfigChange> changesAfter(long afterRevision, int budgetBytes, int maxEntities)
      throws SQLException, ChangeSetTooLarge {
    List<SnapshotChunk> chunks = new ArrayList<>();
    long revision;
    try {
      revision =
          inReadOnlySnapshot(
              connection -> {
                long current = readRevision(connection);
                if (current <= afterRevision) {
                  return current;
                }
                if (countChanged(connection, afterRevision, maxEntities) > maxEntities) {
                  throw new ChangeSetTooLargeSignal();
                }
                var chunker = new ConfigChunker(budgetBytes, chunks::add);
                String since = " WHERE config_revision > ?";
                select(connection, USERS + since, afterRevision, rows -> chunker.add(user(rows)));
                select(
                    connection,
                    KEYS + " WHERE k.config_revision > ? ORDER BY k.id",
                    afterRevision,
                    rows -> chunker.add(key(rows)));
                select(connection, GROUPS + since, afterRevision, rows -> chunker.add(group(rows)));
                select(
                    connection,
                    PROVIDER_KEYS + since,
                    afterRevision,
                    rows -> chunker.add(providerKey(rows)));
                select(
                    connection,
                    USER_GROUP_LIMITS + since,
                    afterRevision,
                    rows -> chunker.add(userGroupLimit(rows)));
                chunker.finish();
                return current;
              });
    } catch (ChangeSetTooLargeSignal signal) {
      throw new ChangeSetTooLarge(afterRevision, maxEntities);
    }
    List<ConfigChange> parts = new ArrayList<>(Math.max(1, chunks.size()));
    if (chunks.isEmpty()) {
      chunks.add(SnapshotChunk.getDefaultInstance());
    }
    for (int i = 0; i < chunks.size(); i++) {
      SnapshotChunk chunk = chunks.get(i);
      parts.add(
          ConfigChange.newBuilder()
              .setRevision(revision)
              .setAfterRevision(afterRevision)
              .setContinued(i < chunks.size() - 1)
              .addAllUsers(chunk.getUsersList())
              .addAllKeys(chunk.getKeysList())
              .addAllProviderGroups(chunk.getProviderGroupsList())
              .addAllProviderKeys(chunk.getProviderKeysList())
              .addAllUserGroupLimits(chunk.getUserGroupLimitsList())
              .build());
    }
    return parts;
  }

  /** Carries "too many" out of the transaction (which it rolls back). */
  private static final class ChangeSetTooLargeSignal extends RuntimeException {
    ChangeSetTooLargeSignal() {
      super(null, null, false, false);
    }
  }

  /**
   * Entities changed after the revision, counting at most {@code limit + 1} per table: each count
   * stops early, so a data plane far behind costs a bounded index scan, not a count of the tables.
   */
  private static long countChanged(Connection connection, long afterRevision, int limit)
      throws SQLException {
    long total = 0;
    for (String table :
        List.of("app_user", "api_key", "provider_group", "provider_key", "user_group_limit")) {
      String sql =
          "SELECT count(*) FROM (SELECT 1 FROM "
              + table
              + " WHERE config_revision > ? LIMIT ?) changed";
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        statement.setLong(1, afterRevision);
        statement.setInt(2, limit + 1);
        try (ResultSet rows = statement.executeQuery()) {
          rows.next();
          total += rows.getLong(1);
        }
      }
      if (total > limit) {
        return total;
      }
    }
    return total;
  }

  private interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private interface RowReader {
    void read(ResultSet rows) throws SQLException;
  }

  private <T> T inReadOnlySnapshot(SqlWork<T> work) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        try (Statement statement = connection.createStatement()) {
          // Transaction-scoped, so the pooled connection keeps its defaults afterwards.
          statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        }
        T result = work.run(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }

  private static long readRevision(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT revision FROM config_state WHERE id = 1")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  /** Runs a query, binding {@code afterRevision} when it is >= 0, streaming rows to the reader. */
  private static void select(
      Connection connection, String sql, long afterRevision, RowReader reader) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setFetchSize(FETCH_SIZE);
      if (afterRevision >= 0) {
        statement.setLong(1, afterRevision);
      }
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          reader.read(rows);
        }
      }
    }
  }

  private static User user(ResultSet rows) throws SQLException {
    return User.newBuilder()
        .setId(rows.getLong("id"))
        .setStatus(status(rows.getString("status")))
        .setRpmLimit(rows.getInt("rpm_limit"))
        .setConcurrencyLimit(rows.getInt("concurrency_limit"))
        .build();
  }

  private static ApiKey key(ResultSet rows) throws SQLException {
    OffsetDateTime expiresAt = rows.getObject("expires_at", OffsetDateTime.class);
    var key =
        ApiKey.newBuilder()
            .setId(rows.getLong("id"))
            .setUserId(rows.getLong("user_id"))
            .setTokenHash(rows.getString("token_hash"))
            .setStatus(status(rows.getString("status")))
            .setExpiresAtUnixMs(expiresAt == null ? 0 : expiresAt.toInstant().toEpochMilli())
            .setQuotaLimit(rows.getLong("quota_limit"))
            .setQuotaUsed(rows.getLong("quota_used"))
            .setRpmLimit(rows.getInt("rpm_limit"))
            .setConcurrencyLimit(rows.getInt("concurrency_limit"))
            .setTpmLimit(rows.getInt("tpm_limit"))
            .addAllAllowedModels(Arrays.asList(strings(rows.getArray("allowed_models"))))
            .addAllIpAllow(Arrays.asList(strings(rows.getArray("ip_allow"))))
            .addAllIpDeny(Arrays.asList(strings(rows.getArray("ip_deny"))));
    for (Object groupId : (Object[]) rows.getArray("group_ids").getArray()) {
      key.addGroupIds(((Number) groupId).longValue());
    }
    return key.build();
  }

  private ProviderGroup group(ResultSet rows) throws SQLException {
    Map<String, String> mapping;
    try {
      mapping = json.readValue(rows.getString("model_mapping"), MAPPING);
    } catch (IOException e) {
      throw new UncheckedIOException("provider_group.model_mapping is not a string map", e);
    }
    return ProviderGroup.newBuilder()
        .setId(rows.getLong("id"))
        .setName(rows.getString("name"))
        .setPlatform(rows.getString("platform"))
        .addAllModels(Arrays.asList(strings(rows.getArray("models"))))
        .putAllModelMapping(mapping)
        .setStatus(status(rows.getString("status")))
        .setRpmLimit(rows.getInt("rpm_limit"))
        // NULL (no fallback) reads as 0, the contract's "none".
        .setFallbackGroupId(rows.getLong("fallback_group_id"))
        .build();
  }

  private static UserGroupLimit userGroupLimit(ResultSet rows) throws SQLException {
    var limit =
        UserGroupLimit.newBuilder()
            .setUserId(rows.getLong("user_id"))
            .setGroupId(rows.getLong("group_id"));
    Integer override = rows.getObject("rpm_override", Integer.class);
    if (override != null) {
      limit.setRpmOverride(override);
    }
    return limit.build();
  }

  private ProviderKey providerKey(ResultSet rows) throws SQLException {
    Integer maxConcurrent = rows.getObject("max_concurrent", Integer.class);
    OffsetDateTime learningResetAt = rows.getObject("learning_reset_at", OffsetDateTime.class);
    return ProviderKey.newBuilder()
        .setId(rows.getLong("id"))
        .setGroupId(rows.getLong("group_id"))
        .setBaseUrl(rows.getString("base_url"))
        .setSecret(cipher.decrypt(rows.getBytes("secret_ciphertext")))
        .setPriority(rows.getInt("priority"))
        .setWeight(rows.getInt("weight"))
        .setStatus(status(rows.getString("status")))
        // NULL (adaptive) reads as 0, which is what the contract uses for "adaptive".
        .setMaxConcurrent(maxConcurrent == null ? 0 : maxConcurrent)
        // NULL (nothing learned yet) reads as 0, the contract's "none".
        .setLearnedMaxConcurrent(rows.getInt("learned_max_concurrent"))
        .setLearningResetAtUnixMs(
            learningResetAt == null ? 0 : learningResetAt.toInstant().toEpochMilli())
        .build();
  }

  private static String[] strings(Array array) throws SQLException {
    return (String[]) array.getArray();
  }

  static Status status(String status) {
    return switch (status) {
      case "active" -> Status.STATUS_ACTIVE;
      case "disabled" -> Status.STATUS_DISABLED;
      case "expired" -> Status.STATUS_EXPIRED;
      case "quota_exhausted" -> Status.STATUS_QUOTA_EXHAUSTED;
      case "revoked" -> Status.STATUS_REVOKED;
      case "deleted" -> Status.STATUS_DELETED;
      default -> throw new IllegalStateException("unknown status in the database: " + status);
    };
  }
}
