/**
 * @file ddns/rest/name.h
 * @brief Names and zones: candidate zones of a name, relative names.
 *
 * Providers want the zone (example.com) and the name in it (a).  The zone
 * is not always the last two labels (a.home.example.co.uk), so a plugin
 * asks its API about each candidate, most specific first.
 */
#ifndef DDNS_REST_NAME_H
#define DDNS_REST_NAME_H

#include <stdbool.h>
#include <stddef.h>

/**
 * The @p i-th candidate zone of @p name, most specific first: the name
 * itself (a zone apex), then each parent down to two labels.
 * @return a pointer into @p name, or NULL when @p i is past the last.
 */
const char *rest_zone_candidate(const char *name, unsigned i);

/** True when @p name is @p zone or below it (case-insensitive). */
bool rest_name_in_zone(const char *name, const char *zone);

/**
 * Write @p name relative to @p zone into @p out: "@" for the apex, "a" for
 * a.example.com.  @return 0, or -EINVAL when @p name is outside @p zone or
 * does not fit.
 */
int rest_name_relative(const char *name, const char *zone, char *out, size_t len);

/**
 * Write the FQDN that the relative @p rel ("@", "www", or already a FQDN
 * ending in @p zone, with or without a trailing dot) means in @p zone.
 * @return 0, or -ENAMETOOLONG.
 */
int rest_name_absolute(const char *rel, const char *zone, char *out, size_t len);

/**
 * Percent-encode @p in for a URL query or path segment (RFC 3986
 * unreserved characters stay).  @return 0, or -ENAMETOOLONG.
 */
int rest_url_escape(const char *in, char *out, size_t len);

#endif
