/* Outcomes of updates and their words (see outcome.h). */
#include "outcome.h"

#include <errno.h>
#include <string.h>

static const char *const outcome_words[DDNS_OUTCOME_COUNT] = {
	[DDNS_OUTCOME_APPLIED] = "applied",
	[DDNS_OUTCOME_FAILED] = "failed",
	[DDNS_OUTCOME_TIMEOUT] = "timeout",
	[DDNS_OUTCOME_CANCELED] = "canceled",
	[DDNS_OUTCOME_ABUSE] = "abuse",
	[DDNS_OUTCOME_CHANGED] = "changed",
	[DDNS_OUTCOME_UNCHANGED] = "unchanged",
	[DDNS_OUTCOME_AUTH_FAILED] = "auth_failed",
	[DDNS_OUTCOME_PROVIDER_FAILED] = "provider_failed",
	[DDNS_OUTCOME_UNAVAILABLE] = "unavailable",
	[DDNS_OUTCOME_INTERNAL] = "internal",
	[DDNS_OUTCOME_STORE_BUSY] = "store_busy",
	[DDNS_OUTCOME_PARTIAL] = "partial",
};

const char *ddns_outcome_name(ddns_outcome_t o)
{
	return (unsigned)o < DDNS_OUTCOME_COUNT ? outcome_words[o] : "unknown";
}

int ddns_outcome_parse(const char *word, ddns_outcome_t *out)
{
	for (unsigned i = 0; i < DDNS_OUTCOME_COUNT; i++) {
		if (strcmp(word, outcome_words[i]) == 0) {
			*out = (ddns_outcome_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool ddns_outcome_recorded(ddns_outcome_t o)
{
	return o <= DDNS_OUTCOME_ABUSE;
}
