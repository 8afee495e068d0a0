package dev.tollgate.dataplane.config;

import dev.tollgate.proto.config.v1.ApiKey;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The client keys of one config view, found by token hash (authentication) and by id (updates).
 * Immutable: {@link #with} returns a new table sharing what did not change.
 *
 * <p>Built for a million keys. The bulk lives in a base of flat open-addressing arrays (a key costs
 * about 30 bytes of index, against about 150 for three {@code HashMap}s of boxed ids), built once
 * per snapshot. Changes go to a small overlay (changed keys by id and by current hash) that each
 * new view copies, so applying a revocation costs in proportion to the overlay, not to the table;
 * when the overlay outgrows {@link #MAX_OVERLAY} it is folded into a new base, an O(n) rebuild paid
 * once per that many changed keys.
 *
 * <p>A key found in the base is checked against the overlay: a key that changed since (rotated to a
 * new hash, or dropped) is answered from the overlay only, so an old secret stops working in the
 * view that carries the new one.
 */
final class KeyTable {

  /** Changed keys kept beside the base before they are folded into a new one. */
  static final int MAX_OVERLAY = 8192;

  /** In the overlay by id: the key was dropped. */
  private static final Changed DROPPED = new Changed(null, KeyRules.NONE);

  static final KeyTable EMPTY =
      new KeyTable(Base.of(java.util.List.of(), null), Map.of(), Map.of());

  private final Base base;
  private final Map<Long, Changed> overlayById;
  private final Map<String, ApiKey> overlayByHash;

  /** A changed key with its parsed rules, or {@link #DROPPED}. */
  private record Changed(ApiKey key, KeyRules rules) {}

  private KeyTable(Base base, Map<Long, Changed> overlayById, Map<String, ApiKey> overlayByHash) {
    this.base = base;
    this.overlayById = overlayById;
    this.overlayByHash = overlayByHash;
  }

  /** A table of the keys of a snapshot. */
  static KeyTable of(Collection<ApiKey> keys) {
    return new KeyTable(Base.of(keys, null), Map.of(), Map.of());
  }

  /** Keys in the table. */
  int size() {
    int size = base.size;
    for (var entry : overlayById.entrySet()) {
      boolean inBase = base.byId(entry.getKey()) >= 0;
      if (entry.getValue() == DROPPED) {
        size -= inBase ? 1 : 0;
      } else {
        size += inBase ? 0 : 1;
      }
    }
    return size;
  }

  /** The key with this token hash, or null. */
  ApiKey byTokenHash(String tokenHash) {
    ApiKey changed = overlayByHash.get(tokenHash);
    if (changed != null) {
      return changed;
    }
    ApiKey key = base.byHash(tokenHash);
    if (key == null || overlayById.containsKey(key.getId())) {
      // Changed since the base was built: only the overlay's copy (under its own hash) counts.
      return null;
    }
    return key;
  }

  /** The key with this id, or null. */
  ApiKey byId(long id) {
    Changed changed = overlayById.get(id);
    if (changed != null) {
      return changed.key;
    }
    int slot = base.byId(id);
    return slot < 0 ? null : base.keys[slot];
  }

  /** The parsed rules of this copy of the key ({@link KeyRules#of} for a copy not in the table). */
  KeyRules rules(ApiKey key) {
    Changed changed = overlayById.get(key.getId());
    if (changed != null) {
      return changed.key == key ? changed.rules : KeyRules.of(key);
    }
    int slot = base.byId(key.getId());
    if (slot < 0 || base.keys[slot] != key) {
      return KeyRules.of(key);
    }
    KeyRules rules = base.rules[slot];
    return rules == null ? KeyRules.NONE : rules;
  }

  /**
   * This table with {@code upserts} put in by id (replacing the copy there, whatever its hash) and
   * the ids in {@code drops} removed. Only the changed keys' rules are parsed.
   */
  KeyTable with(Collection<ApiKey> upserts, Collection<Long> drops) {
    if (upserts.isEmpty() && drops.isEmpty()) {
      return this;
    }
    Map<Long, Changed> byId = new HashMap<>(overlayById);
    Map<String, ApiKey> byHash = new HashMap<>(overlayByHash);
    for (long id : drops) {
      forget(byId, byHash, id);
      byId.put(id, DROPPED);
    }
    for (ApiKey key : upserts) {
      forget(byId, byHash, key.getId());
      byId.put(key.getId(), new Changed(key, KeyRules.of(key)));
      byHash.put(key.getTokenHash(), key);
    }
    if (byId.size() > MAX_OVERLAY) {
      return new KeyTable(Base.merged(base, byId), Map.of(), Map.of());
    }
    return new KeyTable(base, byId, byHash);
  }

  /** Removes the overlay's hash entry of the key's previous overlay copy. */
  private static void forget(Map<Long, Changed> byId, Map<String, ApiKey> byHash, long id) {
    Changed previous = byId.get(id);
    if (previous != null && previous.key != null) {
      byHash.remove(previous.key.getTokenHash(), previous.key);
    }
  }

  /**
   * Open-addressing tables (linear probing, at most half full): ids in a {@code long[]} with the
   * key and its rules (null = none) in parallel arrays, and a second array of the same keys placed
   * by the hash of their token hash.
   */
  private static final class Base {
    private final int size;
    private final long[] ids;
    private final ApiKey[] keys;
    private final KeyRules[] rules;
    private final ApiKey[] byHash;

    private Base(int capacity) {
      this.size = 0;
      this.ids = new long[capacity];
      this.keys = new ApiKey[capacity];
      this.rules = new KeyRules[capacity];
      this.byHash = new ApiKey[capacity];
    }

    private Base(Base filled, int size) {
      this.size = size;
      this.ids = filled.ids;
      this.keys = filled.keys;
      this.rules = filled.rules;
      this.byHash = filled.byHash;
    }

    /** Keys with their rules taken from {@code previous} where that holds the same copy. */
    static Base of(Collection<ApiKey> all, Base previous) {
      Base table = new Base(capacityFor(all.size()));
      int size = 0;
      for (ApiKey key : all) {
        // A copy that did not change keeps its parsed rules: only changed keys are parsed again.
        int slot = previous == null ? -1 : previous.byId(key.getId());
        KeyRules parsed =
            slot >= 0 && previous.keys[slot] == key ? previous.rules[slot] : KeyRules.of(key);
        if (table.insert(key, parsed == KeyRules.NONE ? null : parsed)) {
          size++;
        }
      }
      return new Base(table, size);
    }

    /** The base with the overlay folded in. */
    static Base merged(Base base, Map<Long, Changed> overlay) {
      java.util.List<ApiKey> all = new java.util.ArrayList<>(base.size + overlay.size());
      for (ApiKey key : base.keys) {
        if (key != null && !overlay.containsKey(key.getId())) {
          all.add(key);
        }
      }
      for (Changed changed : overlay.values()) {
        if (changed.key != null) {
          all.add(changed.key);
        }
      }
      return of(all, base);
    }

    private static int capacityFor(int count) {
      int capacity = 16;
      while (capacity < count * 2L) {
        capacity <<= 1;
      }
      return capacity;
    }

    /** Inserts a key not yet in the table; false (and nothing changed) for a duplicate id. */
    private boolean insert(ApiKey key, KeyRules parsed) {
      int mask = ids.length - 1;
      long id = key.getId();
      int slot = spread(Long.hashCode(id)) & mask;
      while (keys[slot] != null) {
        if (ids[slot] == id) {
          return false;
        }
        slot = (slot + 1) & mask;
      }
      ids[slot] = id;
      keys[slot] = key;
      rules[slot] = parsed;
      int hashSlot = spread(key.getTokenHash().hashCode()) & mask;
      while (byHash[hashSlot] != null) {
        hashSlot = (hashSlot + 1) & mask;
      }
      byHash[hashSlot] = key;
      return true;
    }

    int byId(long id) {
      int mask = ids.length - 1;
      int slot = spread(Long.hashCode(id)) & mask;
      while (keys[slot] != null) {
        if (ids[slot] == id) {
          return slot;
        }
        slot = (slot + 1) & mask;
      }
      return -1;
    }

    ApiKey byHash(String tokenHash) {
      int mask = byHash.length - 1;
      int slot = spread(tokenHash.hashCode()) & mask;
      ApiKey key;
      while ((key = byHash[slot]) != null) {
        if (key.getTokenHash().equals(tokenHash)) {
          return key;
        }
        slot = (slot + 1) & mask;
      }
      return null;
    }

    /** Mixes the bits so that sequential ids and similar hashes spread over the table. */
    private static int spread(int h) {
      h *= 0x9E3779B9;
      return h ^ (h >>> 16);
    }
  }
}
