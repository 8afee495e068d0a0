package dev.tollgate.controlplane.ratelimit;

import dev.tollgate.controlplane.admin.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Reads the RPM limits of a key or a user, and of the groups they reach, from PostgreSQL. */
@ApplicationScoped
public class RpmLimitRepository {

  /** A key's own limit and its user's. */
  record KeyLimits(long keyId, int keyLimit, long userId, int userLimit) {}

  /** A provider group's limit and the (user, group) override; hasOverride false = no row. */
  record GroupLimit(long groupId, int groupLimit, boolean hasOverride, Integer override) {}

  private static final String KEY =
      "SELECT k.rpm_limit, k.user_id, u.rpm_limit FROM api_key k JOIN app_user u ON u.id = k.user_id"
          + " WHERE k.id = ?";

  private static final String USER = "SELECT rpm_limit FROM app_user WHERE id = ?";

  private static final String KEY_GROUPS =
      "SELECT g.id, g.rpm_limit, l.user_id IS NOT NULL, l.rpm_override FROM api_key_group b"
          + " JOIN provider_group g ON g.id = b.group_id"
          + " LEFT JOIN user_group_limit l ON l.user_id = ? AND l.group_id = g.id"
          + " WHERE b.key_id = ? AND g.status <> 'deleted' ORDER BY g.id";

  // The groups a user's requests can reach: those its keys (revoked ones excepted: they never
  // count again) are bound to, and those it has an override for.
  private static final String USER_GROUPS =
      "SELECT g.id, g.rpm_limit, l.user_id IS NOT NULL, l.rpm_override FROM provider_group g"
          + " LEFT JOIN user_group_limit l ON l.user_id = ? AND l.group_id = g.id"
          + " WHERE g.status <> 'deleted' AND (l.user_id IS NOT NULL OR g.id IN"
          + " (SELECT b.group_id FROM api_key k JOIN api_key_group b ON b.key_id = k.id"
          + " WHERE k.user_id = ? AND k.status <> 'revoked')) ORDER BY g.id";

  private final DataSource dataSource;

  RpmLimitRepository(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  KeyLimits key(long keyId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(KEY)) {
      s.setLong(1, keyId);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw ProblemException.notFound("key", keyId);
        }
        return new KeyLimits(keyId, r.getInt(1), r.getLong(2), r.getInt(3));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the limits of key " + keyId + " failed", e);
    }
  }

  int user(long userId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(USER)) {
      s.setLong(1, userId);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw ProblemException.notFound("user", userId);
        }
        return r.getInt(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the limit of user " + userId + " failed", e);
    }
  }

  List<GroupLimit> groupsOfKey(long userId, long keyId) {
    return groups(KEY_GROUPS, userId, keyId);
  }

  List<GroupLimit> groupsOfUser(long userId) {
    return groups(USER_GROUPS, userId, userId);
  }

  private List<GroupLimit> groups(String sql, long first, long second) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setLong(1, first);
      s.setLong(2, second);
      List<GroupLimit> groups = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          int value = r.getInt(4);
          Integer override = r.wasNull() ? null : value;
          groups.add(new GroupLimit(r.getLong(1), r.getInt(2), r.getBoolean(3), override));
        }
      }
      return groups;
    } catch (SQLException e) {
      throw new IllegalStateException("reading group limits failed", e);
    }
  }
}
