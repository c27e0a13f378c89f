/* Text for result codes: see error.h. */
#include "error.h"

#include <string.h>
#include "ddns/plugin.h"

const char *ddns_strerror(int code)
{
	switch (code) {
	case DDNS_OK: return "success";
	case DDNS_EPROVIDER: return "the provider refused the change";
	case DDNS_ETIMEOUT: return "timed out";
	case DDNS_ECANCELED: return "canceled";
	case DDNS_EBADREPLY: return "unexpected reply from the provider";
	case DDNS_ERATELIMIT: return "rate-limited by the provider";
	case DDNS_ECONFIG: return "invalid configuration";
	case DDNS_EABI: return "plugin ABI mismatch";
	case DDNS_ENOTFOUND: return "not found";
	case DDNS_EAUTH: return "credentials refused";
	default: break;
	}
	if (code < 0 && code > -4096)
		return strerror(-code);
	return "unknown error";
}
