package dev.tollgate.controlplane.users;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.config.ConfigRevisions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

@ApplicationScoped
public class UserService {

  private final ConfigRevisions revisions;

  UserService(ConfigRevisions revisions) {
    this.revisions = revisions;
  }

  @Transactional
  public UserView create(CreateUserRequest request) {
    Fields.required("body", request);
    var user = new AppUser();
    user.name = Fields.name("name", request.name());
    user.status = "active";
    user.rpmLimit = Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    user.concurrencyLimit = Fields.nonNegative("concurrency_limit", request.concurrencyLimit(), 0);
    revisions.stamp(user);
    user.persist();
    return UserView.of(user);
  }

  @Transactional
  public UserView get(long id) {
    AppUser user = AppUser.findById(id);
    if (user == null) {
      throw ProblemException.notFound("user", id);
    }
    return UserView.of(user);
  }
}
