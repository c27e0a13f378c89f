/* Records that follow a router's IPv6 prefix: the current configuration's
 * `ipv6_from` settings handed to the pipeline (see pipeline_set_followers),
 * at start and after each reload. */
#include "app_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"

int app_followers_apply(app_t *a)
{
	const conf_t *c = a->gen->conf;
	size_t n = 0;
	for (size_t i = 0; i < c->n_records; i++)
		n += c->records[i].ipv6_from >= 0;
	pipeline_follower_t *v = n > 0 ? calloc(n, sizeof(*v)) : NULL;
	if (n > 0 && v == NULL) {
		log_err("ddnsd", "cannot keep %zu follower(s): out of memory", n);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < c->n_records; i++) {
		const conf_record_t *r = &c->records[i];
		if (r->ipv6_from < 0)
			continue;
		/* The strings point into @c c; pipeline_set_followers copies them. */
		v[k].name = r->name;
		v[k].router = c->records[r->ipv6_from].name;
		memcpy(v[k].suffix, r->ipv6_suffix, sizeof(v[k].suffix));
		v[k].prefix_len = r->ipv6_prefix_len;
		k++;
	}
	int rc = pipeline_set_followers(a->pipeline, v, n);
	free(v);
	if (rc == 0 && n > 0)
		log_info("ddnsd", "%zu record(s) follow a router's IPv6 prefix", n);
	return rc;
}
