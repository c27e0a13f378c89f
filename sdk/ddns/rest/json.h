/**
 * @file ddns/rest/json.h
 * @brief jansson helpers for provider replies.
 */
#ifndef DDNS_REST_JSON_H
#define DDNS_REST_JSON_H

#include <jansson.h>
#include <stddef.h>

#include <ddns/plugin.h>

/**
 * Parse the body of @p res as a JSON object.
 * @return a new reference (caller json_decref()s), or NULL with @p err
 * saying why ("not JSON: ... at line 1 column 7", "not a JSON object").
 */
json_t *rest_json_parse(const ddns_http_response_t *res, char *err, size_t errlen);

/**
 * Write an identifier that may be a JSON number or string (Rackspace and
 * DigitalOcean use both) into @p out.  @return 0, or -EINVAL when @p v is
 * neither or does not fit.
 */
int rest_json_id(const json_t *v, char *out, size_t len);

/** The string member @p key of @p obj, or NULL when absent or not a string. */
const char *rest_json_str(const json_t *obj, const char *key);

/**
 * Find what an error reply says, whatever the provider's shape:
 * {"message": ...} (DigitalOcean, Rackspace faults), {"errors": [{"code",
 * "message"}]} (Cloudflare), or {"<fault>": {"message": ..., "code": ...}}
 * (Rackspace identity and overLimit).  Falls back to the start of the body.
 * Writes into @p out (always NUL-terminated) and returns @p out.
 */
const char *rest_api_message(const ddns_http_response_t *res, char *out, size_t len);

/** Value of response header @p name (lower-case), or NULL. */
const char *rest_header(const ddns_http_response_t *res, const char *name);

#endif
