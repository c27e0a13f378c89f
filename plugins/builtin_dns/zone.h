/**
 * @file zone.h
 * @brief builtin_dns: the in-memory zones and records it answers from.
 *
 * A dns_db_t holds the zones the instance is authoritative for (apex SOA,
 * NS and glue, a serial each) and one hash table, lower-case wire name ->
 * node, over every name of every zone: the records the host gives, the
 * apexes, and the empty non-terminals between them (so "b.example.com" is
 * known to exist when "a.b.example.com" does).  The RRsets of a node are
 * built once, so answering a query allocates nothing.
 *
 * A db is not locked: the caller serialises writers against readers.
 */
#ifndef DDNS_BUILTIN_DNS_ZONE_H
#define DDNS_BUILTIN_DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libknot/libknot.h>

/** SOA timers and TTLs of every zone of a db. */
typedef struct dns_db_conf {
	uint32_t ttl;          /**< TTL of A/AAAA answers */
	uint32_t soa_ttl;      /**< TTL of SOA, NS and glue */
	uint32_t refresh, retry, expire, minimum; /**< SOA fields */
	const char *contact;   /**< SOA RNAME as a name or mail; NULL: hostmaster.<zone> */
} dns_db_conf_t;

/** One zone. */
typedef struct dns_zone {
	knot_dname_t *apex;    /**< lower-case wire name, owned */
	size_t apex_labels;    /**< its label count */
	knot_rrset_t soa;      /**< the SOA; its serial is updated in place */
	knot_rrset_t ns;       /**< apex NS (empty when no `ns` is configured) */
	struct dns_node **glue; /**< nodes of in-zone NS names (their A/AAAA
	                             is glue); the array is owned, not the nodes */
	uint16_t *glue_ns;     /**< owned; per glue, the index of its name in
	                            ns.rrs (glue is sorted by it, for compression) */
	size_t n_glue;
	uint32_t serial;       /**< current SOA serial */
	/** Its DNSSEC key when the zone is signed (borrowed from the
	 *  instance, set after every build), else NULL. */
	const struct dns_zkey *key;
} dns_zone_t;

/** One name of a zone. */
typedef struct dns_node {
	struct dns_node *next; /**< hash chain */
	uint32_t hash;
	uint16_t owner_len;    /**< knot_dname_size(owner) */
	knot_dname_t *owner;   /**< lower-case wire name, stored after the node */
	dns_zone_t *zone;      /**< the zone the name falls in */
	bool apex;             /**< the zone's apex */
	bool record;           /**< a record of the host (else apex or empty non-terminal) */
	bool glue;             /**< an in-zone NS name: its A/AAAA are the configured
	                            glue, which a record of the same name never replaces */
	uint32_t n_children;   /**< nodes one label below (an emptied leaf goes) */
	bool has_wan4, has_wan6;
	uint8_t wan4[4], wan6[16]; /**< the record's WAN addresses, for LAN answers */
	int64_t updated_at;    /**< Unix time dns_db_update() last changed it, 0 never */
	knot_rrset_t a, aaaa;          /**< WAN answers (empty when unknown) */
	knot_rrset_t lan_a, lan_aaaa;  /**< LAN answers (empty when unset) */
	knot_rrset_t txt;      /**< TXT set (txt.c: _acme-challenge names), or empty */
	uint8_t name[];        /**< storage of owner */
} dns_node_t;

/** The database. */
typedef struct dns_db {
	dns_db_conf_t conf;
	dns_zone_t *zones;
	size_t n_zones;
	dns_node_t **buckets;
	size_t n_buckets;      /**< a power of two */
	size_t n_nodes;
	size_t n_records;
	/** The instance's TSIG keys (borrowed; NULL: none): a signed query is
	 *  checked and its answer signed (answer.c). */
	const struct dns_tsig_keys *tsig;
} dns_db_t;

/**
 * Make an empty db with the zones @p zones (text names) and apex NS names
 * @p ns, each "name" or "name=addr[,addr...]" (the addresses become glue
 * in the zone the name falls in; an NS name inside a zone needs one).
 * @p serial is the initial SOA serial.  Returns 0 and *out (free with
 * dns_db_free), or -EINVAL with a message in @p err naming the bad item and
 * *@p setting (may be NULL) naming its option ("zone", "ns" or
 * "soa_contact"), or -ENOMEM.
 */
int dns_db_new(const dns_db_conf_t *conf, const char *const *zones, size_t n_zones,
               const char *const *ns, size_t n_ns, uint32_t serial,
               dns_db_t **out, char *err, size_t err_len, const char **setting);

/** Insert the apex node of every zone (dns_db_new() does it). 0 or -ENOMEM. */
int dns_db_add_apexes(dns_db_t *db);

/** Free a db and everything in it; NULL is fine. */
void dns_db_free(dns_db_t *db);

/**
 * Add a record or replace its addresses (NULL or "" = none).  Returns 0,
 * -ENOENT when @p name falls in no zone, -EINVAL for a bad name or address
 * (nothing changed), -EEXIST when @p name is an in-zone NS name (its glue
 * wins; nothing changed), -ENOMEM.
 */
int dns_db_set_record(dns_db_t *db, const char *name, const char *ipv4,
                      const char *ipv6, const char *lan_ipv4, const char *lan_ipv6);

/**
 * Apply an update: set the WAN address(es) given (NULL leaves a family
 * alone), adding the record if needed, and raise its zone's serial to
 * max(serial + 1, @p now) when something changed.  Returns 1 if changed,
 * 0 if not, or dns_db_set_record()'s errors.
 */
int dns_db_update(dns_db_t *db, const char *name, const char *ipv4,
                  const char *ipv6, uint32_t now);

/**
 * One record changed in the store (ddnsctl, a reload): serve what it holds
 * now (WAN addresses too, unless dns_db_update() changed them after the
 * store's @p stored_change: that commit may still be on its way), and
 * raise the zone's serial as dns_db_update() does.  Returns 0, or
 * dns_db_set_record()'s errors.
 */
int dns_db_apply_record(dns_db_t *db, const char *name, const char *ipv4, const char *ipv6,
                        const char *lan_ipv4, const char *lan_ipv6, int64_t stored_change,
                        uint32_t now);

/**
 * Stop serving the record @p name: its node goes (or stays as an empty
 * non-terminal while names below it exist), and so do ancestors left empty;
 * the zone's serial rises.  Returns 1 if removed, 0 if it was no record.
 */
int dns_db_remove_record(dns_db_t *db, const char *name, uint32_t now);

/**
 * After a rebuild from the store: if @p old changed the record @p name by
 * an update later than the store's @p stored_change (its commit may not
 * have happened yet), give @p db the WAN addresses of @p old.  Returns 1
 * if carried over, 0 if not, -ENOMEM.
 */
int dns_db_carry_update(dns_db_t *db, const dns_db_t *old, const char *name,
                        int64_t stored_change);

/** After a rebuild: a zone whose content (names, addresses, LAN answers,
 *  glue, NS, SOA but its serial) is as in @p old keeps its serial there;
 *  a changed one rises to max(its serial in @p old + 1, @p now); a zone
 *  new in @p db, or every zone when @p old is NULL, gets max(serial, now). */
void dns_db_bump_serials(dns_db_t *db, const dns_db_t *old, uint32_t now);

/** Whether zones @p z and @p o (one name, two dbs) have the same NS and
 *  SOA but for the serial. */
bool dns_zone_apex_same(const dns_zone_t *z, const dns_zone_t *o);

/** The zone @p name (lower-case wire) falls in (longest match), or NULL. */
const dns_zone_t *dns_db_zone(const dns_db_t *db, const knot_dname_t *name);

/** Find or insert the node @p name (lower-case wire) of @p zone and its
 *  empty non-terminal ancestors; NULL on -ENOMEM.  For txt.c. */
dns_node_t *dns_db_get_node(dns_db_t *db, dns_zone_t *zone, const knot_dname_t *name);

/** Remove @p n if it serves nothing and has no children, and the empty
 *  non-terminals above it left so. */
void dns_db_prune(dns_db_t *db, dns_node_t *n);

/** Set @p zone's serial (stored serials, state.c). */
void dns_zone_set_serial(dns_zone_t *zone, uint32_t serial);

/** @p name as text without its final dot ("dyn.example.com"), as logs
 *  and files name zones. */
void dns_name_text(const knot_dname_t *name, char *out, size_t len);

/** Raise @p zone's serial to max(serial + 1, @p now). */
void dns_zone_touch(dns_zone_t *zone, uint32_t now);

/** The node of @p name (lower-case wire), or NULL. */
const dns_node_t *dns_db_node(const dns_db_t *db, const knot_dname_t *name);

/** The zone whose apex is @p apex (lower-case wire), or NULL. */
const dns_zone_t *dns_db_zone_by_apex(const dns_db_t *db, const knot_dname_t *apex);

/** The zone named @p name (text), or NULL. */
const dns_zone_t *dns_db_zone_by_name(const dns_db_t *db, const char *name);

#endif
