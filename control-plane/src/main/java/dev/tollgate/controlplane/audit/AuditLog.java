package dev.tollgate.controlplane.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.controlplane.admin.CurrentOperator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * Records an admin mutation in {@code audit_log}, in the caller's transaction: the entry commits
 * with the change or not at all. Before and after are the resource as the admin API shows it
 * (views), never an entity, so secrets and hashes cannot reach the log.
 */
@ApplicationScoped
public class AuditLog {

  private final EntityManager em;
  private final ObjectMapper json;
  private final CurrentOperator operator;

  AuditLog(EntityManager em, ObjectMapper json, CurrentOperator operator) {
    this.em = em;
    this.json = json;
    this.operator = operator;
  }

  /**
   * @param action what happened, e.g. {@code create}, {@code update}, {@code delete}, {@code
   *     rotate}
   * @param entityType the resource, e.g. {@code api_key}, {@code user}
   * @param before the view before the change; null for a creation
   * @param after the view after the change; null when nothing is left to show
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public void record(
      String action, String entityType, Object entityId, Object before, Object after) {
    em.createNativeQuery(
            "INSERT INTO audit_log (actor, action, entity_type, entity_id, before, after)"
                + " VALUES (?1, ?2, ?3, ?4, CAST(?5 AS jsonb), CAST(?6 AS jsonb))")
        .setParameter(1, operator.get().actor())
        .setParameter(2, action)
        .setParameter(3, entityType)
        .setParameter(4, String.valueOf(entityId))
        .setParameter(5, toJson(before))
        .setParameter(6, toJson(after))
        .executeUpdate();
  }

  private String toJson(Object view) {
    if (view == null) {
      return null;
    }
    try {
      return json.writeValueAsString(view);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an audit entry for " + view.getClass(), e);
    }
  }
}
