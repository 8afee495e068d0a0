package dev.tollgate.controlplane.admin;

/**
 * Who sent an admin request, as the audit log names them: {@code bootstrap} for
 * TOLLGATE_ADMIN_TOKEN, {@code token:<id>} for an operator token, {@code system} outside a request.
 *
 * @param role {@code admin} or {@code viewer}
 */
public record Operator(String actor, String role) {

  public static final String ADMIN = "admin";
  public static final String VIEWER = "viewer";

  public static final Operator BOOTSTRAP = new Operator("bootstrap", ADMIN);
  public static final Operator SYSTEM = new Operator("system", ADMIN);

  public boolean isAdmin() {
    return ADMIN.equals(role);
  }
}
