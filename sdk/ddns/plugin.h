/**
 * @file ddns/plugin.h
 * @brief The ddnsd provider plugin SDK: the only header a provider module needs.
 *
 * A provider module is a shared object that exports exactly one symbol,
 * `ddns_plugin`, a const ::ddns_plugin_t descriptor (use DDNS_PLUGIN_EXPORT).
 * ddnsd dlopen()s the module, checks the descriptor's ABI number and size,
 * validates the configured options against the ones the module declares, and
 * creates one instance per `providers` entry in ddns.conf.
 *
 * Everything a module needs from its host (logging, its configuration, an
 * asynchronous HTTP client, timers, fd watches, the records it owns) comes
 * through the ::ddns_host_t table handed to create().  The module never blocks:
 * the host runs one event loop, and every callback below runs on it.
 *
 * Versioning: both structs, and ::ddns_option_t, only ever grow at their end.  DDNS_PLUGIN_ABI and
 * DDNS_HOST_ABI change only when an existing member changes meaning; a module
 * may read a host member only if `host->size` covers it (DDNS_HOST_HAS()).
 * The host loads a module whose descriptor is larger than its own (and
 * ignores the members it does not know) or smaller, down to the first
 * descriptor of this ABI (DDNS_PLUGIN_SIZE_MIN): members past the module's
 * `size` count as NULL (DDNS_PLUGIN_HAS()).
 *
 * This header uses no third-party types, so a module builds with nothing but
 * `pkg-config --cflags ddns-plugin`.
 */
#ifndef DDNS_PLUGIN_H
#define DDNS_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ABI of ::ddns_plugin_t.  ABI 2 changed ::ddns_option_t (range and
 * default) and so added option_size and caps to the descriptor.  The host
 * still loads ABI 1 modules (their option tables in the old layout, no
 * capabilities); it refuses any other number.
 */
#define DDNS_PLUGIN_ABI 2
/** ABI of ::ddns_host_t. */
#define DDNS_HOST_ABI 1

/** True when the host table @p h is large enough to contain @p member. */
#define DDNS_HOST_HAS(h, member) \
	((h)->size >= offsetof(ddns_host_t, member) + sizeof((h)->member))

/**
 * Result codes.  0 is success; failures are negative.  Values from -1 to
 * -4095 are negated errno values (-ENOMEM, -EINVAL, ...); the ones below are
 * ddnsd's own.
 */
enum {
	DDNS_OK = 0,
	DDNS_EPROVIDER = -5000, /**< the provider refused or failed the change */
	DDNS_ETIMEOUT = -5001,  /**< the update's deadline passed */
	DDNS_ECANCELED = -5002, /**< the host is shutting down or reloading */
	DDNS_EBADREPLY = -5003, /**< the provider answered something unexpected */
	DDNS_ERATELIMIT = -5004, /**< rate-limited past the update's deadline */
	DDNS_ECONFIG = -5005,   /**< an option is missing or invalid */
	DDNS_EABI = -5006,      /**< ABI or struct size mismatch */
	DDNS_ENOTFOUND = -5007, /**< the record or zone does not exist */
	DDNS_EAUTH = -5008,     /**< credentials refused */
};

/** Record types an update may carry, for host->update_result(). */
typedef enum {
	DDNS_RR_A = 1,    /**< the update's ipv4 */
	DDNS_RR_AAAA = 2, /**< the update's ipv6 */
	DDNS_RR_TXT = 3,  /**< the update's TXT record set (DDNS_CAP_TXT) */
} ddns_rrtype_t;

/** Log levels, most severe first (syslog's order). */
typedef enum {
	DDNS_LOG_ERR = 3,
	DDNS_LOG_WARNING = 4,
	DDNS_LOG_NOTICE = 5,
	DDNS_LOG_INFO = 6,
	DDNS_LOG_DEBUG = 7,
} ddns_log_level_t;

/** Type of a declared option. */
typedef enum {
	DDNS_OPT_STRING = 1, /**< a string */
	DDNS_OPT_INT = 2,    /**< an integer (64 bit) */
	DDNS_OPT_BOOL = 3,   /**< true or false */
	DDNS_OPT_LIST = 4,   /**< a string, or a list/array of strings */
} ddns_opt_type_t;

/** The option must be present. */
#define DDNS_OPT_REQUIRED 0x1u
/** The value is a credential: the host never logs or prints it. */
#define DDNS_OPT_SECRET 0x2u
/**
 * The option is recognised only to be refused, with @c help as the message
 * (for settings of an old API, such as DigitalOcean v1's client_id).
 */
#define DDNS_OPT_REJECTED 0x4u

/**
 * One option a module accepts in its `providers` entry.  The host checks
 * every `providers` entry against these before create(): an undeclared
 * option, a wrong type, a missing required one or an integer out of
 * [min, max] is a configuration error with the file and line, and the
 * module never sees it.  An absent option with a default reads as that
 * default through host->conf_*.
 *
 * The struct may grow at its end: the host reads the table with the
 * stride the descriptor's option_size gives (DDNS_PLUGIN_OPTIONS()).
 */
typedef struct ddns_option {
	const char *name;     /**< setting name, e.g. "token" */
	ddns_opt_type_t type; /**< its type */
	unsigned flags;       /**< DDNS_OPT_* flags */
	const char *help;     /**< one line for `ddnsd --list-plugins` and errors */
	/* ---- since ABI 2 ---- */
	int64_t min;          /**< DDNS_OPT_INT: smallest value allowed ... */
	int64_t max;          /**< ... and largest; no range when both are 0 */
	const char *def;      /**< the default as ddns.conf would spell it
	                           ("300", "true", "text"; a list's is one
	                           string), or NULL: absent stays absent.  The
	                           host checks it fits type and range at load. */
} ddns_option_t;

/** The size of ABI 1's ::ddns_option_t, which ended before min. */
#define DDNS_OPTION_SIZE_V1 offsetof(ddns_option_t, min)

/** Opaque per-instance handle the host gives to create(). */
typedef struct ddns_ctx ddns_ctx_t;

/** A record owned by an instance, as the host sees it.  Strings are
 *  borrowed for the duration of the call that hands them out. */
typedef struct ddns_record {
	const char *name;     /**< lower-case FQDN without trailing dot */
	const char *ipv4;     /**< current IPv4 address, or NULL */
	const char *ipv6;     /**< current IPv6 address, or NULL */
	const char *lan_ipv4; /**< LAN IPv4 address, or NULL */
	const char *lan_ipv6; /**< LAN IPv6 address, or NULL */
	int64_t last_change;  /**< Unix time of the last change, 0 if never */
} ddns_record_t;

/**
 * One update, owned by the host.  Valid from update() until the module calls
 * host->update_done() for it (even past its deadline: the host then ignores
 * the result but keeps the memory until done is called).
 */
typedef struct ddns_update {
	const char *name;      /**< lower-case FQDN without trailing dot */
	const char *ipv4;      /**< new IPv4 address, or NULL to leave A alone */
	const char *ipv6;      /**< new IPv6 address, or NULL to leave AAAA alone */
	const char *old_ipv4;  /**< the address the store holds, or NULL */
	const char *old_ipv6;  /**< the address the store holds, or NULL */
	uint64_t deadline_ms;  /**< host->now_ms() value past which the host gives up */
	void *module_data;     /**< free for the module's use */

	/* ---- added later: only a module with DDNS_CAP_TXT is given these ---- */

	/** A TXT record set to replace (e.g. "_acme-challenge.<name>"; lower
	 *  case, no trailing dot), or NULL.  An update carries either A/AAAA
	 *  or one TXT set, never both. */
	const char *txt_name;
	const char *const *txt_values; /**< the set's strings (each at most 255
	                                    bytes); none: delete the set */
	size_t n_txt_values;           /**< how many */
	uint32_t txt_ttl;              /**< TTL in seconds; 0: the provider's */
} ddns_update_t;

/** Capabilities (ddns_plugin_t.caps). */
/** The module can set TXT record sets (ddns_update_t.txt_*); the host
 *  never sends a TXT update to a module without it. */
#define DDNS_CAP_TXT 0x1u

/** HTTP request for host->http_request().  All strings are copied. */
typedef struct ddns_http_request {
	const char *method;         /**< "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *url;            /**< absolute URL */
	const char *const *headers; /**< "Name: value" strings, NULL-terminated, or NULL */
	const char *body;           /**< request body, or NULL */
	size_t body_len;            /**< its length */
	uint32_t timeout_ms;        /**< whole-transfer timeout; 0 = 30 s */
} ddns_http_request_t;

/**
 * AWS Signature Version 4 for host->http_request_sigv4(), done by libcurl
 * (CURLOPT_AWS_SIGV4).  All strings are copied.  libcurl 7.88 signs the
 * query string as given: send it sorted and percent-encoded.  The payload
 * hash covers ddns_http_request_t.body.  Every header given is signed;
 * a session token goes in as "X-Amz-Security-Token: ..." by the caller.
 */
typedef struct ddns_http_sigv4 {
	const char *provider;   /**< "aws:amz:REGION:SERVICE", all four parts */
	const char *access_key; /**< the access key id */
	const char *secret_key; /**< the secret access key; never logged */
} ddns_http_sigv4_t;

/** HTTP response handed to a ::ddns_http_cb.  Borrowed for the callback. */
typedef struct ddns_http_response {
	int error;              /**< 0, or a negative code when no response came
	                             (DDNS_ETIMEOUT, -ECONNREFUSED, ...) */
	const char *error_text; /**< human-readable transport error, or NULL */
	long status;            /**< HTTP status, 0 if none */
	const char *body;       /**< NUL-terminated body ("" if none) */
	size_t body_len;        /**< its length */
	size_t n_headers;       /**< response header count */
	const char *const *header_names;  /**< lower-case names */
	const char *const *header_values; /**< values, same order */
} ddns_http_response_t;

/** Reads the value of a counter a module publishes (host->metric_counter);
 *  called on the loop thread whenever /metrics is asked for. */
typedef uint64_t (*ddns_metric_read_cb)(void *arg);
/** The outcome of a txt_update(): DDNS_OK or a negative code, and words
 *  for it (never NULL, borrowed for the call). */
typedef void (*ddns_txt_cb)(int result, const char *message, void *arg);

/** What ddns_host_t.txt_update() does to a record's ACME TXT set. */
typedef enum {
	DDNS_TXT_ADD = 1,    /**< add the value (one already there is renewed) */
	DDNS_TXT_REMOVE = 2, /**< remove the value */
	DDNS_TXT_CLEAR = 3,  /**< remove every value (the value is NULL) */
} ddns_txt_op_t;

/** Opaque handles for asynchronous host services. */
typedef struct ddns_http ddns_http_t;
typedef struct ddns_timer ddns_timer_t;
typedef struct ddns_fd_watch ddns_fd_watch_t;

/** Called once when an HTTP request ends (never if it was cancelled). */
typedef void (*ddns_http_cb)(const ddns_http_response_t *res, void *arg);
/** Called when a timer fires.  The timer is then stopped and freed. */
typedef void (*ddns_timer_cb)(void *arg);
/** Called when @p fd is ready; @p events is a mask of DDNS_FD_*. */
typedef void (*ddns_fd_cb)(int fd, unsigned events, void *arg);
/** Called for each record by host->records_foreach(); non-zero stops. */
typedef int (*ddns_record_cb)(const ddns_record_t *rec, void *arg);

#define DDNS_FD_READ 0x1u
#define DDNS_FD_WRITE 0x2u

/**
 * Services the host offers a module.  Every function may be called only from
 * the loop thread (the callbacks' thread), except log(), now_ms() and
 * dns_answered(), which are thread-safe.  Members are appended only; check
 * DDNS_HOST_HAS().
 */
typedef struct ddns_host {
	uint32_t abi;  /**< DDNS_HOST_ABI of the host */
	uint32_t size; /**< sizeof(ddns_host_t) in the host */

	/** Log a line; the host prefixes the instance name.  Never pass secrets. */
	void (*log)(ddns_ctx_t *ctx, ddns_log_level_t level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/** Milliseconds of a monotonic clock. */
	uint64_t (*now_ms)(void);

	/** The instance's name in ddns.conf (`providers.<name>`). */
	const char *(*instance_name)(ddns_ctx_t *ctx);
	/** String option: 0 and *out set (borrowed, valid for the instance's
	 *  life), or -ENOENT when absent, -EINVAL when of another type.  An
	 *  absent option with a declared default (ddns_option_t.def) reads as
	 *  that default, here and in the other conf_* functions. */
	int (*conf_string)(ddns_ctx_t *ctx, const char *name, const char **out);
	/** Integer option, as conf_string. */
	int (*conf_int)(ddns_ctx_t *ctx, const char *name, int64_t *out);
	/** Boolean option, as conf_string. */
	int (*conf_bool)(ddns_ctx_t *ctx, const char *name, int *out);
	/** Number of strings in a DDNS_OPT_LIST option (0 if absent). */
	int (*conf_list_count)(ddns_ctx_t *ctx, const char *name);
	/** Item @p i of a list option (borrowed), or NULL. */
	const char *(*conf_list_item)(ddns_ctx_t *ctx, const char *name, int i);
	/** Report a configuration error found in create(); the host prints it
	 *  with the file and line of the option (or of the instance). */
	void (*conf_error)(ddns_ctx_t *ctx, const char *option, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/** Start an HTTP request; @p cb fires exactly once unless cancelled.
	 *  On success *out (if not NULL) is a handle valid until @p cb runs. */
	int (*http_request)(ddns_ctx_t *ctx, const ddns_http_request_t *req,
	                    ddns_http_cb cb, void *arg, ddns_http_t **out);
	/** Cancel a request in progress; its callback will not run. */
	void (*http_cancel)(ddns_http_t *http);

	/** One-shot timer after @p ms milliseconds; *out valid until it fires. */
	int (*timer_start)(ddns_ctx_t *ctx, uint64_t ms, ddns_timer_cb cb, void *arg,
	                   ddns_timer_t **out);
	/** Stop a timer that has not fired; its callback will not run. */
	void (*timer_stop)(ddns_timer_t *timer);

	/** Watch @p fd for DDNS_FD_* @p events until fd_unwatch(). */
	int (*fd_watch)(ddns_ctx_t *ctx, int fd, unsigned events, ddns_fd_cb cb,
	                void *arg, ddns_fd_watch_t **out);
	/** Stop watching; the fd itself stays open (the module owns it). */
	void (*fd_unwatch)(ddns_fd_watch_t *watch);

	/** Call @p cb for every record this instance owns.  Returns 0, the
	 *  callback's non-zero value, or a negative error. */
	int (*records_foreach)(ddns_ctx_t *ctx, ddns_record_cb cb, void *arg);

	/** Complete an update: exactly once per update().  @p result is DDNS_OK
	 *  or a negative code; @p message (copied, may be NULL) says what the
	 *  provider said, for the client's reply and the history.  It is the
	 *  result of every record type not reported with update_result(). */
	void (*update_done)(ddns_update_t *update, int result, const char *message);

	/** Count @p n DNS responses sent with response code @p rcode (0-4095),
	 *  for the host's metrics (ddns_dns_queries_total).  Thread-safe and
	 *  lock-free like log() and now_ms(): a module's own worker threads may
	 *  call it, once per batch. */
	void (*dns_answered)(ddns_ctx_t *ctx, unsigned rcode, uint64_t n);

	/* ---- members added later in ABI 1: test with DDNS_HOST_HAS() ---- */

	/** What result code @p code means, in words (a DDNS_E* code, or a
	 *  negated errno value): for the module's own log lines and messages.
	 *  Never NULL; thread-safe. */
	const char *(*strerror)(int code);

	/** The outcome of one record type of @p update, before its
	 *  update_done(): DDNS_OK when the provider confirmed that type's
	 *  change, else a negative code; @p message (copied, may be NULL) says
	 *  what the provider said about it.  At most once per type.
	 *  update_done()'s result then counts for the types not reported.
	 *  When A changed and AAAA then failed, report A as DDNS_OK and end
	 *  with the failure: the host stores the A change, records the AAAA
	 *  failure and tells the client which family failed.  A module that
	 *  never calls it gets one result for every type, as before. */
	void (*update_result)(ddns_update_t *update, ddns_rrtype_t type, int result,
	                      const char *message);

	/** http_request(), signed with AWS Signature Version 4 as @p sig says
	 *  (Route 53 and other AWS APIs).  Same callback and handle rules. */
	int (*http_request_sigv4)(ddns_ctx_t *ctx, const ddns_http_request_t *req,
	                          const ddns_http_sigv4_t *sig, ddns_http_cb cb, void *arg,
	                          ddns_http_t **out);

	/** Publish a counter in /metrics as `ddns_<name>{provider="<instance>"}`
	 *  (@p name: [a-z][a-z0-9_]*, ending in "_total", not one of ddnsd's
	 *  own).  Its value is pulled: @p read(@p arg) runs on the loop thread
	 *  each time /metrics is rendered, so counting costs the module only
	 *  its own (e.g. per-thread, relaxed atomic) increments.  The counter
	 *  stays published until the instance is destroyed; @p arg must stay
	 *  valid until then.  Returns 0, -EINVAL (a bad name), -EEXIST (the
	 *  instance published that name already) or -ENOMEM; 0 without effect
	 *  when ddnsd keeps no metrics (ddnsd -t). */
	int (*metric_counter)(ddns_ctx_t *ctx, const char *name, const char *help,
	                      ddns_metric_read_cb read, void *arg);

	/** The directory where the instance keeps files of its own across
	 *  restarts and reloads (serials, journals, keys):
	 *  `<directory of database>/plugins/<instance name>`, made mode 0700 at
	 *  the first call and owned by ddnsd's `user` once it drops root, with
	 *  what the module wrote in it meanwhile.  The path stays valid for the
	 *  instance's life; an instance that reload recreates gets the same
	 *  one.  NULL, with one log line, when it cannot be made.  Loop thread
	 *  (create() included): making it is a mkdir, reading and writing in
	 *  it is the module's business (off the loop). */
	const char *(*state_dir)(ddns_ctx_t *ctx);

	/** Change the ACME DNS-01 TXT set at "_acme-challenge.<record>" for a
	 *  client the module authenticated itself (builtin_dns: an RFC 2136
	 *  UPDATE signed with a TSIG key allowed for @p record).  No key is
	 *  checked: only call it for a request you have authorised.  The set
	 *  is then what the HTTP ACME APIs keep (PIPELINE limits: 10 values,
	 *  each expiring, sent whole to @p record's provider); @p client (the
	 *  requester's address as text, may be NULL) goes to the history.
	 *  Returns 0 and
	 *  @p cb runs later on the loop, once; or, without calling @p cb,
	 *  DDNS_ENOTFOUND (ddnsd holds no @p record), -EINVAL (a value not of
	 *  1..255 printable bytes), -E2BIG (10 values already), -ENOTSUP (no
	 *  TXT pipeline: ddnsd -t), -ENOMEM.  An instance destroyed before the
	 *  outcome is not called back.  Loop thread. */
	int (*txt_update)(ddns_ctx_t *ctx, const char *record, ddns_txt_op_t op,
	                  const char *value, const char *client, ddns_txt_cb cb, void *arg);
} ddns_host_t;

/**
 * The descriptor a module exports as `ddns_plugin`.
 */
typedef struct ddns_plugin {
	uint32_t abi;  /**< DDNS_PLUGIN_ABI the module was built with */
	uint32_t size; /**< sizeof(ddns_plugin_t) the module was built with */
	const char *name;        /**< short name, e.g. "digitalocean" */
	const char *version;     /**< the module's own version */
	const char *description; /**< one line */
	const ddns_option_t *options; /**< terminated by an entry with name NULL */

	/** Create an instance.  Read options with host->conf_*; report bad ones
	 *  with host->conf_error() and return DDNS_ECONFIG.  May bind sockets.
	 *  On success store the instance in *instance and return 0. */
	int (*create)(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance);
	/** Destroy an instance: cancel its requests, timers and watches, free it.
	 *  Every update it was given has been completed or cancelled before. */
	void (*destroy)(void *instance);
	/** Start applying @p update.  Return 0 and later call host->update_done
	 *  exactly once, or return a negative code (done must then not be
	 *  called).  Never block. */
	int (*update)(void *instance, ddns_update_t *update);
	/** Optional: the host gave up on @p update (deadline or shutdown).  Stop
	 *  its work soon and call update_done (its result is ignored). */
	void (*cancel)(void *instance, ddns_update_t *update);
	/** Optional: the set of records this instance owns, or their LAN
	 *  addresses, changed (reload, ddnsctl).  Re-read with records_foreach. */
	void (*records_changed)(void *instance);

	/* ---- members added later in ABI 1: test with DDNS_PLUGIN_HAS() ---- */

	/** Optional: one record changed behind the instance's back (ddnsctl, a
	 *  reload): @p rec is what it is now, or NULL when @p name is no longer
	 *  this instance's (removed, or given to another provider).  When the
	 *  host knows which records changed it calls this, once per record,
	 *  instead of records_changed (which a module without it still gets). */
	void (*record_changed)(void *instance, const char *name, const ddns_record_t *rec);

	/* ---- ABI 2 ---- */

	/** sizeof(ddns_option_t) the module was built with: the stride of
	 *  `options`.  Required when options is set; DDNS_PLUGIN_OPTIONS()
	 *  sets both. */
	uint32_t option_size;
	/** DDNS_CAP_* flags: what the module can do beyond A and AAAA. */
	uint32_t caps;
} ddns_plugin_t;

/** The size of the first descriptor of this ABI: the smallest the host
 *  loads. */
#define DDNS_PLUGIN_SIZE_MIN (offsetof(ddns_plugin_t, caps) + sizeof(uint32_t))
/** The first descriptor of ABI 1 (the host loads ABI 1 modules too). */
#define DDNS_PLUGIN_SIZE_MIN_V1 offsetof(ddns_plugin_t, record_changed)

/** Set a descriptor's option table and its stride in one go:
 *  `DDNS_PLUGIN_EXPORT = { ..., DDNS_PLUGIN_OPTIONS(my_options), ... };` */
#define DDNS_PLUGIN_OPTIONS(table) \
	.options = (table), .option_size = sizeof((table)[0])

/** True when descriptor @p d (as the module built it) has @p member. */
#define DDNS_PLUGIN_HAS(d, member) \
	((d)->size >= offsetof(ddns_plugin_t, member) + sizeof((d)->member))

#if defined(__GNUC__)
#define DDNS_PLUGIN_VISIBLE __attribute__((visibility("default")))
#else
#define DDNS_PLUGIN_VISIBLE
#endif

/** Define the module's descriptor: `DDNS_PLUGIN_EXPORT = { ... };` */
#define DDNS_PLUGIN_EXPORT DDNS_PLUGIN_VISIBLE extern const ddns_plugin_t ddns_plugin; \
	const ddns_plugin_t ddns_plugin

/** The exported symbol's name, for hosts. */
#define DDNS_PLUGIN_SYMBOL "ddns_plugin"

#ifdef __cplusplus
}
#endif
#endif /* DDNS_PLUGIN_H */
