package dev.tollgate.controlplane.stats;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ProblemException;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Whose usage a window or series counts: the whole installation, one key, one user, one provider
 * group or one model. One key reads the per-key tables; every other scope reads one row per bucket
 * from the per-scope tables, whatever the number of keys.
 */
record UsageScope(String kind, Long id, String model) {

  static final UsageScope ALL = new UsageScope("all", null, null);

  /** At most one of the four may be given; each names its parameter when it is wrong. */
  static UsageScope of(Long keyId, Long userId, Long groupId, String model) {
    UsageScope scope = ALL;
    String chosen = null;
    Object[][] candidates = {
      {"key_id", keyId, "key"}, {"user_id", userId, "user"}, {"group_id", groupId, "group"}
    };
    for (Object[] candidate : candidates) {
      if (candidate[1] == null) {
        continue;
      }
      String parameter = (String) candidate[0];
      if (chosen != null) {
        throw tooMany(chosen, parameter);
      }
      long id = (Long) candidate[1];
      if (id < 1) {
        throw ProblemException.badRequest(parameter, parameter + " must be a positive id");
      }
      chosen = parameter;
      scope = new UsageScope((String) candidate[2], id, null);
    }
    if (model != null) {
      if (chosen != null) {
        throw tooMany(chosen, "model");
      }
      if (model.isBlank()) {
        throw ProblemException.badRequest("model", "model must not be blank");
      }
      Fields.atMost("model", model, Fields.MAX_QUERY_TEXT_LENGTH);
      scope = new UsageScope("model", null, model);
    }
    return scope;
  }

  private static ProblemException tooMany(String first, String second) {
    return ProblemException.badRequest(
        second,
        "give at most one of key_id, user_id, group_id and model; got " + first + " and " + second);
  }

  boolean isKey() {
    return kind.equals("key");
  }

  /** The table this scope reads in {@code tier}, with a WHERE clause for {@link #bind}. */
  String from(Tier tier) {
    return isKey()
        ? tier.keyTable + " WHERE key_id = ?"
        : tier.scopeTable + " WHERE scope = ? AND subject = ?";
  }

  /** Binds the parameters of {@link #from}'s clause from {@code index}; returns the next one. */
  int bind(PreparedStatement statement, int index) throws SQLException {
    if (isKey()) {
      statement.setLong(index, id);
      return index + 1;
    }
    statement.setString(index, kind);
    statement.setString(index + 1, subject());
    return index + 2;
  }

  private String subject() {
    return switch (kind) {
      case "all" -> "";
      case "model" -> model;
      default -> Long.toString(id);
    };
  }
}
