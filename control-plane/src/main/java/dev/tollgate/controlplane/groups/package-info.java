/**
 * Provider groups (pools of upstream credentials for one platform) and their provider keys.
 *
 * <p>Guarantees: a provider secret is stored only as AES-256-GCM ciphertext ({@link
 * dev.tollgate.controlplane.groups.SecretCipher}), is never returned by the admin API (only "…" and
 * its last 4 characters) and is never logged; it leaves the control plane in clear only on the
 * authenticated internal ConfigService. Counters belong to the usage flush.
 */
package dev.tollgate.controlplane.groups;
