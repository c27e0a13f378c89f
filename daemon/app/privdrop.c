/* Privilege drop: see privdrop.h.  Every step is checked and then the result
 * is checked again as a whole, because a half-done drop (groups kept, or a
 * saved uid of 0) is worse than none: it looks safe and is not. */
#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"

#define SUBJECT "privileges"

/* A user given as a number: only digits, and it fits uid_t. */
static bool parse_uid(const char *text, uid_t *out)
{
	if (*text == '\0')
		return false;
	unsigned long long v = 0;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > 0xfffffffeULL) /* (uid_t)-1 means "unchanged" to setuid */
			return false;
	}
	*out = (uid_t)v;
	return true;
}

/* getpwnam_r/getpwuid_r with a buffer that grows on ERANGE.  Returns 0,
 * -ENOENT, or a negative errno; *buf is malloc'ed on success. */
static int passwd_get(const char *user, struct passwd *pw, char **buf)
{
	size_t len = 1024;
	uid_t uid;
	bool numeric = parse_uid(user, &uid);
	for (;;) {
		struct passwd *res = NULL;
		char *b = malloc(len);
		if (b == NULL)
			return -ENOMEM;
		int rc = numeric ? getpwuid_r(uid, pw, b, len, &res)
		                 : getpwnam_r(user, pw, b, len, &res);
		if (rc == 0 && res != NULL) {
			*buf = b;
			return 0;
		}
		free(b);
		if (rc == ERANGE && len < (1u << 20)) {
			len *= 2;
			continue;
		}
		return rc == 0 ? -ENOENT : -rc;
	}
}

/* The passwd entry of @p user, with a message naming it on failure. */
static int lookup(const char *user, struct passwd *pw, char **buf, char *err, size_t errlen)
{
	int rc = passwd_get(user, pw, buf);
	if (rc == -ENOENT)
		snprintf(err, errlen, "user \"%s\": no such user in the passwd database", user);
	else if (rc != 0)
		snprintf(err, errlen, "user \"%s\": cannot look it up: %s", user, strerror(-rc));
	return rc;
}

int privdrop_lookup(const char *user, privdrop_ids_t *out, char *err, size_t errlen)
{
	struct passwd pw;
	char *buf = NULL;
	int rc = lookup(user, &pw, &buf, err, errlen);
	if (rc != 0)
		return rc;
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	free(buf);
	return 0;
}

bool privdrop_has_bind_cap(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].effective &
	        CAP_TO_MASK(CAP_NET_BIND_SERVICE)) != 0;
}

/* Any capability left in the effective, permitted or ambient-able sets. */
static bool caps_left(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return true;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective != 0 || data[i].permitted != 0)
			return true;
	}
	return false;
}

/* The whole state after the drop, checked as one: ids, groups, caps, and
 * that the way back is closed. */
static int verify(const privdrop_ids_t *ids, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
		snprintf(err, errlen, "cannot read ids back: %s", strerror(errno));
		return -errno;
	}
	if (ru != ids->uid || eu != ids->uid || su != ids->uid ||
	    rg != ids->gid || eg != ids->gid || sg != ids->gid) {
		snprintf(err, errlen, "ids after the drop are uid %u/%u/%u gid %u/%u/%u, "
		         "not %u/%u", (unsigned)ru, (unsigned)eu, (unsigned)su,
		         (unsigned)rg, (unsigned)eg, (unsigned)sg,
		         (unsigned)ids->uid, (unsigned)ids->gid);
		return -EPERM;
	}
	int n = getgroups(0, NULL);
	gid_t *groups = n > 0 ? calloc((size_t)n, sizeof(gid_t)) : NULL;
	if (n < 0 || (n > 0 && (groups == NULL || getgroups(n, groups) != n))) {
		free(groups);
		snprintf(err, errlen, "cannot read the groups back");
		return -EPERM;
	}
	bool root_group = false;
	for (int i = 0; i < n; i++)
		root_group |= groups[i] == 0 && ids->gid != 0;
	free(groups);
	if (root_group) {
		snprintf(err, errlen, "supplementary group 0 (root) kept after the drop");
		return -EPERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "setuid(0) still succeeds after the drop");
		return -EPERM;
	}
	if (caps_left()) {
		snprintf(err, errlen, "capabilities left after the drop");
		return -EPERM;
	}
	return 0;
}

static int no_new_privs(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		int e = errno;
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(e));
		return -e;
	}
	return 0;
}

/* Whom files go to: 1 and @p ids when root hands them to @p user, 0 when
 * there is nothing to do (no user, not root, the user is root), or a
 * negative errno (an unknown user) with @p err. */
static int give_to(const char *user, privdrop_ids_t *ids, char *err, size_t errlen)
{
	if (user == NULL || geteuid() != 0)
		return 0;
	int rc = privdrop_lookup(user, ids, err, errlen);
	return rc != 0 ? rc : ids->uid != 0;
}

int privdrop_give_files(const char *user, const char *const *paths, size_t n,
                        char *err, size_t errlen)
{
	privdrop_ids_t ids;
	int rc = give_to(user, &ids, err, errlen);
	if (rc <= 0)
		return rc;
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		/* O_PATH|O_NOFOLLOW: a link planted in the folder must not make
		 * root chown its target. */
		int fd = open(paths[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", paths[i], strerror(-rc));
		} else if (S_ISREG(st.st_mode) && st.st_uid == 0 &&
		           fchownat(fd, "", ids.uid, ids.gid, AT_EMPTY_PATH) != 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot give it to user \"%s\": %s",
			         paths[i], user, strerror(-rc));
		}
		if (fd >= 0)
			close(fd);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Not root: nothing can be switched, only checked and reported. */
static int as_plain_user(const char *user, char *err, size_t errlen)
{
	uid_t uid = getuid();
	if (user != NULL) {
		privdrop_ids_t ids;
		int rc = privdrop_lookup(user, &ids, err, errlen);
		if (rc != 0)
			return rc;
		if (ids.uid != uid || geteuid() != uid) {
			snprintf(err, errlen, "user \"%s\": cannot switch to uid %u: not "
			         "started as root (running as uid %u)", user,
			         (unsigned)ids.uid, (unsigned)geteuid());
			return -EPERM;
		}
	}
	log_info(SUBJECT, "running as uid %u gid %u, nothing to drop (%s)",
	         (unsigned)uid, (unsigned)getgid(),
	         privdrop_has_bind_cap() ? "holding CAP_NET_BIND_SERVICE"
	                                 : "no CAP_NET_BIND_SERVICE");
	return no_new_privs(err, errlen);
}

int privdrop_apply(const char *user, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return as_plain_user(user, err, errlen);
	if (user == NULL) {
		log_warn(SUBJECT, "running as root: set `user` in ddns.conf to drop "
		         "privileges after binding");
		return no_new_privs(err, errlen);
	}
	struct passwd pw;
	char *buf = NULL;
	int rc = lookup(user, &pw, &buf, err, errlen);
	if (rc != 0)
		return rc;
	privdrop_ids_t ids = { .uid = pw.pw_uid, .gid = pw.pw_gid };
	if (ids.uid == 0) {
		free(buf);
		log_warn(SUBJECT, "user \"%s\" is root: nothing dropped", user);
		return no_new_privs(err, errlen);
	}
	/* Keepcaps off: the setuid below then clears every capability set.
	 * Groups first: after setgid/setuid they could no longer change. */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
		rc = -errno;
		snprintf(err, errlen, "prctl(PR_SET_KEEPCAPS, 0): %s", strerror(-rc));
	} else if (initgroups(pw.pw_name, ids.gid) != 0) {
		rc = -errno;
		snprintf(err, errlen, "user \"%s\": cannot set its groups: %s", user,
		         strerror(-rc));
	}
	free(buf);
	if (rc != 0)
		return rc;
	if (setresgid(ids.gid, ids.gid, ids.gid) != 0) {
		rc = -errno;
		snprintf(err, errlen, "user \"%s\": setgid(%u): %s", user,
		         (unsigned)ids.gid, strerror(-rc));
		return rc;
	}
	if (setresuid(ids.uid, ids.uid, ids.uid) != 0) {
		rc = -errno;
		snprintf(err, errlen, "user \"%s\": setuid(%u): %s", user,
		         (unsigned)ids.uid, strerror(-rc));
		return rc;
	}
	if ((rc = verify(&ids, err, errlen)) != 0)
		return rc;
	if ((rc = no_new_privs(err, errlen)) != 0)
		return rc;
	log_notice(SUBJECT, "dropped root: now user \"%s\" (uid %u, gid %u)", user,
	           (unsigned)ids.uid, (unsigned)ids.gid);
	return 0;
}

/* Chown what root owns in the directory open as @p dfd, then below it. */
static int give_dir(int dfd, const char *path, const privdrop_ids_t *ids, char *err,
                    size_t errlen)
{
	struct stat st;
	if (fstat(dfd, &st) != 0 ||
	    (st.st_uid == 0 && fchown(dfd, ids->uid, ids->gid) != 0)) {
		int rc = -errno;
		snprintf(err, errlen, "%s: cannot give it to uid %u: %s", path,
		         (unsigned)ids->uid, strerror(-rc));
		close(dfd);
		return rc;
	}
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		int rc = -errno;
		close(dfd);
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* gone meanwhile */
		if (S_ISDIR(st.st_mode)) {
			int cfd = openat(dirfd(d), e->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = cfd < 0 ? -errno : give_dir(cfd, sub, ids, err, errlen);
			if (cfd < 0)
				snprintf(err, errlen, "%s: %s", sub, strerror(-rc));
		} else if (S_ISREG(st.st_mode) && st.st_uid == 0 &&
		           fchownat(dirfd(d), e->d_name, ids->uid, ids->gid,
		                    AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot give it to uid %u: %s", sub,
			         (unsigned)ids->uid, strerror(-rc));
		}
	}
	closedir(d);
	return rc;
}

int privdrop_give_tree(const char *user, const char *dir, char *err, size_t errlen)
{
	privdrop_ids_t ids;
	int rc = give_to(user, &ids, err, errlen);
	if (rc <= 0)
		return rc;
	rc = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	return give_dir(fd, dir, &ids, err, errlen);
}
