package dev.tollgate.controlplane.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Hands out config revisions to config-changing transactions. */
@ApplicationScoped
public class ConfigRevisions {

  private final EntityManager em;

  ConfigRevisions(EntityManager em) {
    this.em = em;
  }

  /**
   * Takes the next revision in the caller's transaction. The UPDATE keeps config_state's row locked
   * until that transaction ends, so revisions commit in the order they were taken and a data plane
   * reading "changes after R" can never miss one that commits later with a smaller number.
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public long next() {
    Number revision =
        (Number)
            em.createNativeQuery(
                    "UPDATE config_state SET revision = revision + 1 WHERE id = 1 RETURNING revision")
                .getSingleResult();
    return revision.longValue();
  }

  /**
   * Marks {@code entity} as changed in the caller's transaction: the next revision, and now as its
   * update time (and creation time, for a new one). Microseconds: what PostgreSQL keeps, so an
   * answer built from the entity equals a later read.
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public void stamp(ReplicatedEntity entity) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    if (entity.createdAt == null) {
      entity.createdAt = now;
    }
    entity.updatedAt = now;
    entity.configRevision = next();
  }
}
