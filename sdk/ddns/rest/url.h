/**
 * @file ddns/rest/url.h
 * @brief Whether a URL an API hands back may receive the plugin's
 * credentials: parsed with curl's URL API, never compared as text.
 */
#ifndef DDNS_REST_URL_H
#define DDNS_REST_URL_H

#include <stdbool.h>

/**
 * True when @p url points under @p base: the same scheme, host and port
 * (default ports made explicit, names compared without case), no user
 * name or password of its own, and a path that is @p base's path or below
 * it (at a '/' boundary).  A pagination link, a job's status URL or any
 * other address taken from a reply should pass this before a token is sent
 * there: "https://api.example.com.evil.example/..." and
 * "http://api.example.com:80@evil/..." do not.
 */
bool rest_url_under(const char *base, const char *url);

#endif
