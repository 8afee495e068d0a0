package dev.tollgate.controlplane.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

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
}
