package dev.tollgate.controlplane.console;

/** The console's sign-in: an operator token (the bootstrap token or one made by an admin). */
public record SignInRequest(String token) {}
