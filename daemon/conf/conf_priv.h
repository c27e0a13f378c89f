/**
 * @file conf_priv.h
 * @brief What conf.c and conf_entries.c share while reading one file.
 */
#ifndef DDNS_CONF_PRIV_H
#define DDNS_CONF_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libconfig.h>
#include "conf.h"

/** State of one conf_load() call. */
typedef struct conf_reader {
	conf_t *conf;
	char *dir;     /**< absolute folder of the file, for relative paths */
	char *err;
	size_t errlen;
} conf_reader_t;

/**
 * Write "file:line: setting[.child]: problem" for @p s into the reader's
 * error buffer.  @p child names a missing member of @p s, or is NULL.
 * @return -EINVAL, so callers can `return conf_fail(...)`.
 */
int conf_fail(conf_reader_t *r, const config_setting_t *s, const char *child,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * The string member @p name of group @p g: 0 and *out (borrowed) set,
 * 1 when absent (*out NULL), or -EINVAL (error written) when of another type.
 */
int conf_member_string(conf_reader_t *r, const config_setting_t *g,
                       const char *name, const char **out);

/** Refuse members of group @p g not in NULL-terminated @p allowed (a typo
 *  must not silently mean "default").  @return 0 or -EINVAL. */
int conf_check_known(conf_reader_t *r, const config_setting_t *g,
                     const char *const *allowed);

/** @p path made absolute against the file's folder; malloc'ed, NULL on ENOMEM. */
char *conf_resolve_path(const conf_reader_t *r, const char *path);

/** Integer member @p name of @p g within [min, max]; absent keeps *out.
 *  @return 0 or -EINVAL (error written). */
int conf_member_uint(conf_reader_t *r, const config_setting_t *g, const char *name,
                     long long min, long long max, uint32_t *out);
/** Path member made absolute into *out (freeing the old value); absent
 *  leaves *out alone.  @return 0, -EINVAL or -ENOMEM. */
int conf_member_path(conf_reader_t *r, const config_setting_t *g,
                     const char *name, char **out);
/** A string or a list/array of strings; *out is the setting, NULL when
 *  absent.  @return 0 or -EINVAL (error written). */
int conf_member_strings(conf_reader_t *r, const config_setting_t *g,
                        const char *name, config_setting_t **out);
/** Item @p i of a setting accepted by conf_member_strings() (borrowed). */
const char *conf_strings_item(const config_setting_t *s, int i);
/** Number of items of such a setting (0 for NULL). */
int conf_strings_count(const config_setting_t *s);

/** Read the `providers` group into r->conf.  @return 0 or -EINVAL/-ENOMEM. */
int conf_read_providers(conf_reader_t *r, const config_setting_t *s);
/** Read a record's `ipv6_from`, `ipv6_suffix` and `ipv6_prefix_len` from
 *  group @p g (conf_follow.c); the router's name is resolved later by
 *  conf_follow_resolve().  @return 0 or -EINVAL. */
int conf_follow_read(conf_reader_t *r, const config_setting_t *g, conf_record_t *rec);
/** Resolve every `ipv6_from` of the records read from list @p s into an
 *  index, refusing unknown names, a record naming itself and chains.
 *  @return 0, -EINVAL or -ENOMEM. */
int conf_follow_resolve(conf_reader_t *r, const config_setting_t *s);
/** A list of "address:port" member @p name of @p h into *out (strdup'ed,
 *  counted in *n_out); at least one if @p required.  @return 0 or -EINVAL. */
int conf_read_listen(conf_reader_t *r, const config_setting_t *h, const char *name,
                     bool required, char ***out, size_t *n_out);
/** Read the `admin` group @p s (NULL: no web admin) (conf_admin.c). */
int conf_read_admin(conf_reader_t *r, const config_setting_t *s);
/** Free what conf_read_admin() put into @p c. */
void conf_admin_free(conf_t *c);
/** Read the `records` list into r->conf (providers must be read first). */
int conf_read_records(conf_reader_t *r, const config_setting_t *s);

#endif
