package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;

/** Rows for flush tests, written with plain SQL so these tests don't depend on the admin API. */
final class UsageFixtures {

  private final DataSource dataSource;

  UsageFixtures(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  long user() throws SQLException {
    return insert(
        "INSERT INTO app_user (name, config_revision) VALUES ('flush-test', 0) RETURNING id");
  }

  long group() throws SQLException {
    return insert(
        "INSERT INTO provider_group (name, platform, models, config_revision) VALUES ('g-"
            + UUID.randomUUID()
            + "', 'openai', '{gpt-4o-mini}', 0) RETURNING id");
  }

  long providerKey(long groupId) throws SQLException {
    return insert(
        "INSERT INTO provider_key (group_id, base_url, secret_ciphertext, secret_hint, config_revision)"
            + " VALUES ("
            + groupId
            + ", 'http://127.0.0.1:1/v1', '\\x00', 'abcd', 0) RETURNING id");
  }

  long[] keys(long userId, int count) throws SQLException {
    long[] ids = new long[count];
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO api_key (user_id, name, prefix, token_hash, config_revision)"
                    + " SELECT ?, 'k', 'tg-test', md5(random()::text) || g, 0"
                    + " FROM generate_series(1, ?) g RETURNING id")) {
      s.setLong(1, userId);
      s.setInt(2, count);
      try (ResultSet rows = s.executeQuery()) {
        for (int i = 0; rows.next(); i++) {
          ids[i] = rows.getLong(1);
        }
      }
    }
    return ids;
  }

  /** requests, success_requests, failure_requests, prompt, completion, total of one row. */
  long[] counters(String table, long id) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT requests, success_requests, failure_requests, prompt_tokens,"
                    + " completion_tokens, total_tokens FROM "
                    + table
                    + " WHERE id = ?")) {
      s.setLong(1, id);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return new long[] {
          r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getLong(5), r.getLong(6)
        };
      }
    }
  }

  long scalar(String sql) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql);
        ResultSet r = s.executeQuery()) {
      r.next();
      return r.getLong(1);
    }
  }

  /** "part/index/reason: detail" of every dead letter of the instance, in the order written. */
  java.util.List<String> deadLetters(String instance) throws SQLException {
    java.util.List<String> rows = new java.util.ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT part, item_index, reason, detail FROM flush_dead_letter"
                    + " WHERE dp_instance_id = ? ORDER BY id")) {
      s.setString(1, instance);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          rows.add(
              r.getString(1) + "/" + r.getInt(2) + "/" + r.getString(3) + ": " + r.getString(4));
        }
      }
    }
    return rows;
  }

  private long insert(String sql) throws SQLException {
    return scalar(sql);
  }

  static Counters counters(long requests, long success, long prompt, long completion) {
    return Counters.newBuilder()
        .setRequests(requests)
        .setSuccessRequests(success)
        .setFailureRequests(requests - success)
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens(prompt + completion)
        .build();
  }

  static KeyDelta keyDelta(long keyId, Counters counters, long lastAccessMs) {
    return KeyDelta.newBuilder()
        .setKeyId(keyId)
        .setCounters(counters)
        .setLastAccessedAtUnixMs(lastAccessMs)
        .build();
  }

  static ProviderKeyDelta providerDelta(long providerKeyId, Counters counters) {
    return ProviderKeyDelta.newBuilder()
        .setProviderKeyId(providerKeyId)
        .setCounters(counters)
        .build();
  }

  static FlushRequest.Builder batch(String instance, long sequence) {
    return FlushRequest.newBuilder().setDpInstanceId(instance).setSequence(sequence);
  }
}
