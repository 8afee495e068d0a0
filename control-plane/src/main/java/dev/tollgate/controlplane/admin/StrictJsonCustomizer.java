package dev.tollgate.controlplane.admin;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;

/**
 * Makes request bodies mean exactly what they say: Jackson's defaults would accept {@code
 * "rpm_limit": "5"}, {@code 1.9} (read as 1) or {@code "name": 42}, and an operator would get
 * something other than what they asked for instead of a 400 naming the field.
 *
 * <p>Every string and map key of every body also passes {@link InputText}'s rule (no NUL, no lone
 * surrogate): one check here covers every endpoint, present and future.
 */
@Singleton
public class StrictJsonCustomizer implements ObjectMapperCustomizer {

  @Override
  public void customize(ObjectMapper mapper) {
    mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    mapper.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    mapper
        .coercionConfigFor(LogicalType.Integer)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper
        .coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    mapper.registerModule(
        new SimpleModule("tollgate-input-text")
            .addDeserializer(String.class, new CheckedStrings())
            .addKeyDeserializer(String.class, new CheckedKeys()));
  }

  /** A string Jackson read that {@link InputText} refuses; the path names the field. */
  static final class UnstorableTextException extends JsonMappingException {
    UnstorableTextException(JsonParser parser, String flaw) {
      super(parser, flaw);
    }
  }

  private static final class CheckedStrings extends StdScalarDeserializer<String> {
    CheckedStrings() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      return checked(parser, StringDeserializer.instance.deserialize(parser, context));
    }

    @Override
    public LogicalType logicalType() {
      return LogicalType.Textual;
    }
  }

  private static final class CheckedKeys extends KeyDeserializer {
    @Override
    public Object deserializeKey(String key, DeserializationContext context) throws IOException {
      return checked(context.getParser(), key);
    }
  }

  private static String checked(JsonParser parser, String value) throws UnstorableTextException {
    String flaw = value == null ? null : InputText.flaw(value);
    if (flaw != null) {
      throw new UnstorableTextException(parser, flaw);
    }
    return value;
  }
}
