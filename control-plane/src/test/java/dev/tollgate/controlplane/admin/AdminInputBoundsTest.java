package dev.tollgate.controlplane.admin;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createProviderKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bounded input of the admin API, at its limit (accepted) and one past it (400 naming the
 * field, nothing stored, nothing audited). The bounds are {@link Fields}' constants.
 */
@QuarkusTest
class AdminInputBoundsTest {

  @Inject DataSource dataSource;

  private AuditedRows rows() {
    return new AuditedRows(dataSource);
  }

  /** What a case needs to exist already; built once, through the API. */
  record World(long userId, long groupId, long keyId, long providerKeyId, List<Long> groupIds) {}

  private static World world;

  /**
   * One request: a body sent to create (then {@code table} must not grow) or to change an existing
   * row (then reading {@code readPath} must give the same answer), or a read with a query string.
   */
  record Request(String method, String path, Object body, String table, String readPath) {
    static Request create(String path, Object body, String table) {
      return new Request("POST", path, body, table, null);
    }

    static Request update(String path, Object body) {
      return new Request("PATCH", path, body, null, path);
    }

    static Request read(String path) {
      return new Request("GET", path, null, null, null);
    }
  }

  /** {@code request(n)} sends a value of size n; the limit is {@code limit}. */
  record Case(String name, int limit, Function<World, IntFunction<Request>> request, String field) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(
            "user name (create)",
            Fields.MAX_NAME_LENGTH,
            w -> n -> Request.create("/admin/v1/users", Map.of("name", name(n)), "app_user"),
            "name"),
        new Case(
            "user name (update)",
            Fields.MAX_NAME_LENGTH,
            w -> n -> Request.update("/admin/v1/users/" + w.userId(), Map.of("name", name(n))),
            "name"),
        new Case(
            "key name (create)",
            Fields.MAX_NAME_LENGTH,
            w ->
                n ->
                    Request.create(
                        "/admin/v1/keys",
                        Map.of("user_id", w.userId(), "name", name(n), "group_ids", List.of()),
                        "api_key"),
            "name"),
        new Case(
            "key name (update)",
            Fields.MAX_NAME_LENGTH,
            w -> n -> Request.update("/admin/v1/keys/" + w.keyId(), Map.of("name", name(n))),
            "name"),
        new Case(
            "group name (create)",
            Fields.MAX_NAME_LENGTH,
            w ->
                n ->
                    Request.create(
                        "/admin/v1/provider-groups",
                        group(name(n), List.of("m"), Map.of()),
                        "provider_group"),
            "name"),
        new Case(
            "operator token name",
            Fields.MAX_NAME_LENGTH,
            w ->
                n ->
                    Request.create(
                        "/admin/v1/operator-tokens",
                        Map.of("name", name(n), "role", "viewer"),
                        "operator_token"),
            "name"),
        new Case(
            "base_url (create)",
            Fields.MAX_URL_LENGTH,
            w ->
                n ->
                    Request.create(
                        "/admin/v1/provider-keys",
                        Map.of("group_id", w.groupId(), "base_url", url(n), "secret", "sk-x"),
                        "provider_key"),
            "base_url"),
        new Case(
            "base_url (update)",
            Fields.MAX_URL_LENGTH,
            w ->
                n ->
                    Request.update(
                        "/admin/v1/provider-keys/" + w.providerKeyId(), Map.of("base_url", url(n))),
            "base_url"),
        new Case(
            "provider secret (create)",
            Fields.MAX_SECRET_LENGTH,
            w ->
                n ->
                    Request.create(
                        "/admin/v1/provider-keys",
                        Map.of(
                            "group_id",
                            w.groupId(),
                            "base_url",
                            "https://api.example.com/v1",
                            "secret",
                            "s".repeat(n)),
                        "provider_key"),
            "secret"),
        new Case(
            "provider secret (update)",
            Fields.MAX_SECRET_LENGTH,
            w ->
                n ->
                    Request.update(
                        "/admin/v1/provider-keys/" + w.providerKeyId(),
                        Map.of("secret", "t".repeat(n))),
            "secret"),
        new Case(
            "group models (count)",
            Fields.MAX_MODELS,
            w ->
                n ->
                    Request.create(
                        "/admin/v1/provider-groups",
                        group(name(40), models(n, 8), Map.of()),
                        "provider_group"),
            "models"),
        new Case(
            "group models (entry length)",
            Fields.MAX_NAME_LENGTH,
            w ->
                n ->
                    Request.update(
                        "/admin/v1/provider-groups/" + w.groupId(),
                        Map.of("models", List.of("gpt-4o-mini", "m".repeat(n)))),
            "models"),
        new Case(
            "group model_mapping (pairs)",
            Fields.MAX_MODELS,
            w ->
                n -> {
                  List<String> models = models(Math.min(n, Fields.MAX_MODELS), 8);
                  var mapping = new LinkedHashMap<String, String>();
                  models(n, 8).forEach(model -> mapping.put(model, "upstream-" + model));
                  return Request.create(
                      "/admin/v1/provider-groups",
                      group(name(40), models, mapping),
                      "provider_group");
                },
            "model_mapping"),
        new Case(
            "group model_mapping (upstream name length)",
            Fields.MAX_NAME_LENGTH,
            w ->
                n ->
                    Request.update(
                        "/admin/v1/provider-groups/" + w.groupId(),
                        Map.of("model_mapping", Map.of("gpt-4o-mini", "u".repeat(n)))),
            "model_mapping.gpt-4o-mini"),
        new Case(
            "key allowed_models (count)",
            Fields.MAX_MODELS,
            w ->
                n ->
                    Request.update(
                        "/admin/v1/keys/" + w.keyId(), Map.of("allowed_models", models(n, 8))),
            "allowed_models"),
        new Case(
            "key allowed_models (entry length)",
            Fields.MAX_NAME_LENGTH,
            w ->
                n ->
                    Request.update(
                        "/admin/v1/keys/" + w.keyId(),
                        Map.of("allowed_models", List.of("a".repeat(n)))),
            "allowed_models"),
        new Case(
            "key ip_allow",
            Fields.MAX_CIDRS,
            w -> n -> Request.update("/admin/v1/keys/" + w.keyId(), Map.of("ip_allow", cidrs(n))),
            "ip_allow"),
        new Case(
            "key ip_deny",
            Fields.MAX_CIDRS,
            w -> n -> Request.update("/admin/v1/keys/" + w.keyId(), Map.of("ip_deny", cidrs(n))),
            "ip_deny"),
        new Case(
            "key group_ids (create)",
            Fields.MAX_GROUP_IDS,
            w ->
                n ->
                    Request.create(
                        "/admin/v1/keys",
                        Map.of(
                            "user_id", w.userId(), "name", name(40), "group_ids", groupIds(w, n)),
                        "api_key"),
            "group_ids"),
        new Case(
            "key group_ids (update)",
            Fields.MAX_GROUP_IDS,
            w ->
                n ->
                    Request.update(
                        "/admin/v1/keys/" + w.keyId(), Map.of("group_ids", groupIds(w, n))),
            "group_ids"),
        new Case(
            "search",
            Fields.MAX_QUERY_TEXT_LENGTH,
            w -> n -> Request.read("/admin/v1/keys?search=" + "s".repeat(n)),
            "search"),
        new Case(
            "audit-log actor",
            Fields.MAX_QUERY_TEXT_LENGTH,
            w -> n -> Request.read("/admin/v1/audit-log?actor=" + "a".repeat(n)),
            "actor"),
        new Case(
            "audit-log entity_type",
            Fields.MAX_QUERY_TEXT_LENGTH,
            w -> n -> Request.read("/admin/v1/audit-log?entity_type=" + "e".repeat(n)),
            "entity_type"),
        new Case(
            "errors model",
            Fields.MAX_QUERY_TEXT_LENGTH,
            w -> n -> Request.read("/admin/v1/errors?model=" + "m".repeat(n)),
            "model"),
        new Case(
            "usage model",
            Fields.MAX_QUERY_TEXT_LENGTH,
            w -> n -> Request.read("/admin/v1/usage/windows?model=" + "m".repeat(n)),
            "model"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void acceptsAFieldAtItsLimitAndRefusesOneMoreChangingNothing(Case bounded) throws Exception {
    // Given
    IntFunction<Request> request = bounded.request().apply(world());

    // When a value exactly at the limit is sent
    Response atLimit = send(request.apply(bounded.limit()));

    // Then it is accepted
    assertThat(atLimit.statusCode()).as(atLimit.asString()).isBetween(200, 201);

    // Given the state before one more
    Request past = request.apply(bounded.limit() + 1);
    long audited = rows().lastAuditId();
    long rowsBefore = past.table() == null ? 0 : rows().count(past.table());
    String before = past.readPath() == null ? null : read(past.readPath());

    // When one more is sent
    Response refused = send(past);

    // Then it is refused naming the field, and nothing changed
    assertThat(refused.statusCode()).as(refused.asString()).isEqualTo(400);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.jsonPath().getString("field")).isEqualTo(bounded.field());
    assertThat(refused.jsonPath().getString("detail"))
        .contains(bounded.field())
        .contains(String.valueOf(bounded.limit()));
    assertThat(rows().lastAuditId()).isEqualTo(audited);
    if (past.table() != null) {
      assertThat(rows().count(past.table())).isEqualTo(rowsBefore);
    }
    if (past.readPath() != null) {
      assertThat(read(past.readPath())).isEqualTo(before);
    }
  }

  private static Response send(Request request) {
    var spec = asOperator();
    if (request.body() != null) {
      spec = spec.body(request.body());
    }
    return spec.request(request.method(), request.path());
  }

  private static String read(String path) {
    return asOperator().get(path).then().statusCode(200).extract().asString();
  }

  private static synchronized World world() {
    if (world == null) {
      long userId = createUser();
      long groupId = createGroup("gpt-4o-mini");
      long keyId = createKey(userId, List.of(groupId)).getLong("id");
      long providerKeyId = createProviderKey(groupId, "sk-bounds-0123456789");
      var groupIds = new ArrayList<Long>();
      groupIds.add(groupId);
      while (groupIds.size() < Fields.MAX_GROUP_IDS) {
        groupIds.add(createGroup());
      }
      world = new World(userId, groupId, keyId, providerKeyId, List.copyOf(groupIds));
    }
    return world;
  }

  /** A unique name of exactly n characters. */
  private static String name(int n) {
    String unique = UUID.randomUUID().toString();
    return n <= unique.length() ? unique.substring(0, n) : unique + "n".repeat(n - unique.length());
  }

  /** An http URL of exactly n characters. */
  private static String url(int n) {
    String host = "https://api.example.com/";
    return host + "p".repeat(n - host.length());
  }

  private static Map<String, Object> group(
      String name, List<String> models, Map<String, String> mapping) {
    return Map.of("name", name, "platform", "openai", "models", models, "model_mapping", mapping);
  }

  /** n distinct model names of the given length. */
  private static List<String> models(int n, int length) {
    return IntStream.range(0, n)
        .mapToObj(i -> String.format("m%0" + (length - 1) + "d", i))
        .toList();
  }

  /** n distinct IPv4 CIDRs. */
  private static List<String> cidrs(int n) {
    return IntStream.range(0, n)
        .mapToObj(i -> "10." + (i / 256) + "." + (i % 256) + ".0/24")
        .toList();
  }

  /** n group ids: the world's existing ones, then one more (which never needs to exist). */
  private static List<Long> groupIds(World world, int n) {
    var ids = new ArrayList<>(world.groupIds().subList(0, Math.min(n, world.groupIds().size())));
    for (long next = Long.MAX_VALUE; ids.size() < n; next--) {
      ids.add(next);
    }
    return ids;
  }
}
