/**
 * What every admin endpoint shares: operator authentication ({@link
 * dev.tollgate.controlplane.admin.AdminAuthFilter}), strict JSON binding, and errors as {@code
 * application/problem+json} naming the field that was wrong.
 */
package dev.tollgate.controlplane.admin;
