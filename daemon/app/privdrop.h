/**
 * @file privdrop.h
 * @brief Least privilege: leave root for the configured `user` once the
 *        sockets are bound.
 *
 * Started as root, ddnsd binds its HTTP and DNS sockets first and then calls
 * privdrop_apply(): supplementary groups from the user's entry (initgroups),
 * then setgid, then setuid, with PR_SET_KEEPCAPS off so no capability
 * survives, and finally PR_SET_NO_NEW_PRIVS.  The result is verified (real,
 * effective and saved ids, and that setuid(0) now fails); any doubt is an
 * error the daemon treats as fatal, because a daemon that was told to run
 * as `ddns` must not keep serving as root.
 *
 * Started as a plain user (systemd's User= with AmbientCapabilities=
 * CAP_NET_BIND_SERVICE) there is nothing to drop; privdrop_apply() checks
 * that the configured user is the one running and says so in the log.
 */
#ifndef DDNS_PRIVDROP_H
#define DDNS_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/** The ids a user name resolves to. */
typedef struct privdrop_ids {
	uid_t uid;
	gid_t gid; /**< the user's primary group */
} privdrop_ids_t;

/**
 * Look @p user up in the passwd database (a name, or a number "65534").
 * Meant to be called early, before binding, so a typo in `user` is reported
 * before anything else happens.
 * @return 0 and @p out filled, -ENOENT when there is no such user (one line
 *         in @p err), or another negative errno from getpwnam_r.
 */
int privdrop_lookup(const char *user, privdrop_ids_t *out, char *err, size_t errlen);

/**
 * Drop privileges to @p user (NULL: no user configured).
 *
 * - root and @p user set: initgroups/setgid/setuid to it, verify, set
 *   no_new_privs.  Logs one notice line naming the user and ids.
 * - root and @p user NULL: keeps running as root, logs a warning.
 * - not root: @p user must be the running user (or NULL); logs whether
 *   CAP_NET_BIND_SERVICE is held.  Another user is an error: only root can
 *   switch.
 *
 * Sets PR_SET_NO_NEW_PRIVS in every case that returns 0.
 * @return 0, or a negative errno with one line in @p err; the daemon must
 *         then exit without serving.
 */
int privdrop_apply(const char *user, char *err, size_t errlen);

/**
 * Before privdrop_apply(): hand the files root created for @p user (the
 * sqlite database and its -wal and -shm files) over to it, so that the
 * daemon after the drop, and ddnsctl run as that user, can write them.
 * Only files owned by root are changed (never someone else's), symbolic
 * links are not followed, and absent files are skipped.  Does nothing when
 * not root or @p user is NULL.
 * @return 0, or a negative errno with one line in @p err.
 */
int privdrop_give_files(const char *user, const char *const *paths, size_t n,
                        char *err, size_t errlen);

/**
 * privdrop_give_files() for a whole tree: @p dir (absent: nothing to do)
 * and every directory and regular file below it that root owns, without
 * following links.  For the plugins' state directories, which plugins may
 * fill (keys, serials) while ddnsd is still root.
 * @return 0, or a negative errno with one line in @p err.
 */
int privdrop_give_tree(const char *user, const char *dir, char *err, size_t errlen);

/** True when the calling thread holds CAP_NET_BIND_SERVICE in its
 *  effective set (read with capget, no libcap needed). */
bool privdrop_has_bind_cap(void);

#endif
