#!/usr/bin/python3
"""The web admin in a real browser: headless Chromium driven by Selenium.

Run by tests/e2e/admin.sh, which starts ddnsd with an `admin` group and an
account, and passes where things are in the environment:
  ADMIN     the admin's base URL        UPDATE   the update API's base URL
  ADMIN_USER, ADMIN_PASSWORD            E2E_DIR  the scratch folder
  SHOTS     where the screenshots go    FAIL_DELAY_MS  auth_fail_delay_ms
  THROTTLE_DELAY_MS, MAX_AUTH_FAILURES  the abuse settings of ddns.conf
  CONF_RECORD  a record of ddns.conf (read-only in the admin)

The browser logs in, adds a record, copies its key from the page, and
updates the record with curl using that key; sees the new address and the
history rows; rotates the key (curl's old key refused); deletes the record;
logs out.  Without the browser (urllib, redirects not followed): a form
without its CSRF token is refused, a page without a session redirects to
the login, a wrong password is answered late (and from a source that
failed too often, later still, while the right one is served), and the
headers (CSP, frame denial, no-store, the cookie's flags) are checked.

Chromium is started the way /work/shared/BROWSER-TESTS.md found works on
Debian 12: the real binary, our own chromedriver (ended by pid), no
retries, loopback only.  Prints TAP-like lines; exits 1 on a failure.
"""
import http.client
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import urllib3
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.remote_connection import RemoteConnection
from selenium.webdriver.support.ui import Select, WebDriverWait

ADMIN = os.environ["ADMIN"]
UPDATE = os.environ["UPDATE"]
USER = os.environ["ADMIN_USER"]
PASSWORD = os.environ["ADMIN_PASSWORD"]
SCRATCH = os.path.join(os.environ["E2E_DIR"], "browser")
SHOTS = os.environ["SHOTS"]
FAIL_DELAY = int(os.environ["FAIL_DELAY_MS"]) / 1000.0
THROTTLE_DELAY = int(os.environ["THROTTLE_DELAY_MS"]) / 1000.0
MAX_FAILURES = int(os.environ["MAX_AUTH_FAILURES"])
CONF_RECORD = os.environ["CONF_RECORD"]
NAME = "home.example.com"

passed = failed = 0


def check(desc, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + desc, flush=True)
    else:
        failed += 1
        print("not ok - " + desc + (": " + detail if detail else ""), flush=True)
    return ok


# ---- without the browser ----

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener(jar=None):
    handlers = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def fetch(op, url, data=None):
    """(status, headers, body) of one request, redirects not followed."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with op.open(url, body, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def csrf_of(html):
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    return m.group(1) if m else ""


def curl_update(key, ip):
    """The update API through curl, as a client would call it."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
         UPDATE + "/dynamicdns/update/" + NAME + "/", "--data", "key=%s&ip=%s" % (key, ip)],
        capture_output=True, text=True, timeout=60)
    return out.stdout


def no_browser_checks():
    op = opener()
    st, hd, _ = fetch(op, ADMIN + "/records")
    check("a page without a session redirects to the login",
          st == 303 and hd.get("Location") == "/login", "%s %s" % (st, hd.get("Location")))
    st, _, _ = fetch(op, ADMIN + "/records/new", {"name": "x.example.com", "provider": "demo"})
    check("a form posted without a session is refused", st == 403, str(st))

    jar = http.cookiejar.CookieJar()
    op = opener(jar)
    st, hd, html = fetch(op, ADMIN + "/login")
    csp = hd.get("Content-Security-Policy", "")
    check("the login page answers 200", st == 200, str(st))
    check("CSP: scripts only from the server, nothing inline",
          "script-src 'self'" in csp and "unsafe-inline" not in csp
          and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, csp)
    check("X-Frame-Options DENY", hd.get("X-Frame-Options") == "DENY")
    check("pages are not cached", hd.get("Cache-Control") == "no-store")
    cookie = hd.get("Set-Cookie", "")
    check("the session cookie is HttpOnly and SameSite=Strict",
          "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie)
    check("the session id has 256 bits",
          re.match(r"ddns_admin=[0-9a-f]{64};", cookie) is not None, cookie)
    check("no inline script or style in the page",
          re.search(r"<script>|<script [^>]*>[^<]|<style|style=", html) is None)
    token = csrf_of(html)

    t0 = time.monotonic()
    st, _, html = fetch(op, ADMIN + "/login",
                        {"csrf": token, "user": USER, "password": "not-the-password"})
    slow = time.monotonic() - t0
    check("a wrong password is refused", st == 403 and "Wrong user name" in html, str(st))
    check("a wrong password is answered after auth_fail_delay_ms (%.2f s)" % slow,
          slow >= FAIL_DELAY * 0.95)
    t0 = time.monotonic()
    st, _, html = fetch(op, ADMIN + "/login",
                        {"csrf": token, "user": "nobody", "password": "not-the-password"})
    slow2 = time.monotonic() - t0
    check("an unknown account is answered alike, as late (%.2f s)" % slow2,
          st == 403 and slow2 >= FAIL_DELAY * 0.95)
    st, hd, _ = fetch(op, ADMIN + "/login", {"user": USER, "password": PASSWORD})
    check("a login form without its CSRF token is refused", st == 403, str(st))
    st, hd, _ = fetch(op, ADMIN + "/login", {"csrf": token, "user": USER, "password": PASSWORD})
    check("the right password logs in", st == 303 and hd.get("Location") == "/records",
          "%s %s" % (st, hd.get("Location")))
    return op


def csrf_checks(op):
    """Forms of a logged-in session without (or with a wrong) CSRF token."""
    st, _, html = fetch(op, ADMIN + "/records/new")
    token = csrf_of(html)
    check("the add form carries a CSRF token", len(token) == 64)
    st, _, _ = fetch(op, ADMIN + "/records/new", {"name": "csrf.example.com", "provider": "demo"})
    check("an add without a CSRF token is refused (403)", st == 403, str(st))
    st, _, _ = fetch(op, ADMIN + "/records/new",
                     {"csrf": "0" * 64, "name": "csrf.example.com", "provider": "demo"})
    check("an add with a wrong CSRF token is refused (403)", st == 403, str(st))
    st, _, _ = fetch(op, ADMIN + "/record/" + NAME + "/rotate", {})
    check("a key rotation without a CSRF token is refused (403)", st == 403, str(st))
    st, _, _ = fetch(op, ADMIN + "/record/" + NAME + "/delete", {"csrf": ""})
    check("a delete with an empty CSRF token is refused (403)", st == 403, str(st))
    st, _, html = fetch(op, ADMIN + "/record/" + CONF_RECORD + "/rotate", {"csrf": token})
    check("a ddns.conf record's key cannot be rotated here (409)",
          st == 409 and "change it there" in html, str(st))
    st, _, _ = fetch(op, ADMIN + "/record/" + CONF_RECORD + "/delete", {"csrf": token})
    check("nor the record deleted (409)", st == 409, str(st))
    # the right token, but from a page of another origin (or a DNS-rebinding name)
    req = urllib.request.Request(
        ADMIN + "/records/new", urllib.parse.urlencode(
            {"csrf": token, "name": "csrf.example.com", "provider": "demo"}).encode(),
        headers={"Origin": "http://evil.example"})
    try:
        st = op.open(req, timeout=30).status
    except urllib.error.HTTPError as e:
        st = e.code
    check("a form posted from another origin is refused (403)", st == 403, str(st))
    st, _, html = fetch(op, ADMIN + "/records?q=csrf.example")
    check("nothing was added by those forms", st == 200 and "csrf.example.com" not in html)


def throttle_checks():
    """From another source address (127.0.0.2, counted apart from the rest
    of the test): failed logins count like wrong update keys; once
    max_auth_failures is reached a wrong password waits
    auth_throttle_delay_ms, and the right one is still served at once."""
    host, port = urllib.parse.urlsplit(ADMIN).netloc.split(":")

    def request(method, path, cookie=None, form=None):
        c = http.client.HTTPConnection(host, int(port), timeout=60,
                                       source_address=("127.0.0.2", 0))
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.monotonic()
        c.request(method, path, body, headers)
        r = c.getresponse()
        out = (r.status, r.getheader("Set-Cookie", ""), r.read().decode(),
               time.monotonic() - t0)
        c.close()
        return out

    st, cookie, html, _ = request("GET", "/login")
    cookie = cookie.split(";")[0]
    token = csrf_of(html)
    took = []
    for _ in range(MAX_FAILURES):
        st, _, _, t = request("POST", "/login", cookie,
                              {"csrf": token, "user": USER, "password": "guess"})
        took.append(t)
    check("%d wrong passwords from 127.0.0.2 each wait auth_fail_delay_ms" % MAX_FAILURES,
          all(FAIL_DELAY * 0.95 <= t < THROTTLE_DELAY for t in took),
          " ".join("%.2f" % t for t in took))
    st, _, _, t = request("POST", "/login", cookie,
                          {"csrf": token, "user": USER, "password": "guess"})
    check("then the source is throttled: a wrong password waits "
          "auth_throttle_delay_ms (%.2f s)" % t, st == 403 and t >= THROTTLE_DELAY * 0.95)
    st, _, _, t = request("POST", "/login", cookie,
                          {"csrf": token, "user": USER, "password": PASSWORD})
    check("the right password from the throttled source is served at once (%.2f s)" % t,
          st == 303 and t < FAIL_DELAY)


# ---- the browser ----

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NoRetryConnection(RemoteConnection):
    """Selenium 4.8 retries a stuck call 3 times: once is enough here."""

    def _get_connection_manager(self):
        return urllib3.PoolManager(timeout=self.get_timeout(), retries=False)


class Browser:
    def __init__(self):
        for d in ("home", "cache", "config", "tmp", "profile"):
            os.makedirs(os.path.join(SCRATCH, d), exist_ok=True)
        env = dict(os.environ, HOME=os.path.join(SCRATCH, "home"),
                   XDG_CACHE_HOME=os.path.join(SCRATCH, "cache"),
                   XDG_CONFIG_HOME=os.path.join(SCRATCH, "config"),
                   TMPDIR=os.path.join(SCRATCH, "tmp"))
        self.port = free_port()
        self.log = open(os.path.join(SCRATCH, "chromedriver.log"), "w")
        self.proc = subprocess.Popen(["/usr/bin/chromedriver", "--port=%d" % self.port],
                                     env=env, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        self.driver = None
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        opts = Options()
        opts.binary_location = "/usr/lib/chromium/chromium"
        for a in ("--headless=new", "--no-sandbox", "--window-size=1280,900",
                  "--user-data-dir=" + os.path.join(SCRATCH, "profile"),
                  "--no-proxy-server", "--remote-debugging-pipe",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, "
                  "EXCLUDE 127.0.0.1, EXCLUDE ::1"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        conn = NoRetryConnection("http://127.0.0.1:%d" % self.port)
        conn.set_timeout(60)
        self.driver = webdriver.Remote(command_executor=conn, options=opts)
        self.driver.set_page_load_timeout(30)

    def close(self):
        # a plain DELETE of the session, then the driver's processes by pid
        if self.driver is not None:
            try:
                urllib3.PoolManager(retries=False, timeout=10).request(
                    "DELETE", "http://127.0.0.1:%d/session/%s" % (self.port,
                                                                 self.driver.session_id))
            except Exception as e:  # noqa: BLE001 - the kill below ends it anyway
                print("# session delete: %s" % e)
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.log.close()


def shot(d, name):
    path = os.path.join(SHOTS, name + ".png")
    d.save_screenshot(path)


def wait_url(d, suffix):
    try:
        WebDriverWait(d, 20).until(lambda x: x.current_url.endswith(suffix))
        return True
    except Exception:  # noqa: BLE001 - reported by the caller's check
        return False


def wait_el(d, css):
    return WebDriverWait(d, 20).until(lambda x: x.find_elements(By.CSS_SELECTOR, css))[0]


def submit_and_wait(d, button_css, url_suffix=None, then_css=None):
    """Click a submit button and wait for the next document (chromedriver 156
    may answer 'Node with given id does not belong to the document' on the
    old one: a mark left on the old window tells the new one apart)."""
    d.execute_script("window.__old = true;")
    d.find_element(By.CSS_SELECTOR, button_css).click()
    WebDriverWait(d, 30).until(lambda x: x.execute_script("return !window.__old;"))
    if url_suffix is not None:
        wait_url(d, url_suffix)
    if then_css is not None:
        wait_el(d, then_css)


def history_text(d):
    return "\n".join(r.text for r in d.find_elements(By.CSS_SELECTOR, "#history tbody tr"))


def browser_steps(b):
    d = b.driver
    d.get(ADMIN + "/records")
    check("the browser without a session lands on the login page", wait_url(d, "/login"),
          d.current_url)
    shot(d, "login")
    d.find_element(By.ID, "user").send_keys(USER)
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    submit_and_wait(d, "#login", "/records", "#records")
    check("logged in: the records page", d.current_url.endswith("/records"), d.current_url)
    check("the ddns.conf record is listed, marked read-only",
          CONF_RECORD in d.find_element(By.ID, "records").text
          and "ddns.conf" in d.find_element(By.ID, "records").text)
    shot(d, "records")

    d.find_element(By.LINK_TEXT, "Add a record").click()
    wait_url(d, "/records/new")
    wait_el(d, "#name")
    d.find_element(By.ID, "name").send_keys(NAME)
    Select(d.find_element(By.ID, "provider")).select_by_visible_text("demo")
    d.find_element(By.ID, "lan_ipv4").send_keys("192.168.1.10")
    shot(d, "add")
    submit_and_wait(d, "#add", None, "#key")
    key = d.find_element(By.ID, "key").text.strip()
    check("the new key is shown once (50 characters)", len(key) == 50, repr(key))
    check("the client lines carry the key and the name",
          key in d.find_element(By.ID, "curl").text
          and NAME in d.find_element(By.ID, "ddclient").text
          and key in d.find_element(By.ID, "inadyn").text)
    d.find_element(By.ID, "copy").click()
    try:
        WebDriverWait(d, 10).until(lambda x: x.find_element(By.ID, "copied").is_displayed())
        copied = True
    except Exception:  # noqa: BLE001
        copied = False
    check("the copy button copies (its script runs under the CSP)", copied)
    shot(d, "key")

    check("curl updates the record with the copied key",
          curl_update(key, "203.0.113.7") == "200")
    d.get(ADMIN + "/record/" + NAME)
    wait_el(d, "#ipv4")
    check("the record page shows the new address",
          d.find_element(By.ID, "ipv4").text == "203.0.113.7",
          d.find_element(By.ID, "ipv4").text)
    check("and its LAN address", d.find_element(By.ID, "lan_ipv4").text == "192.168.1.10")
    hist = history_text(d)
    check("the history has the update row", re.search(r"ipv4 .*203\.0\.113\.7 applied", hist)
          is not None, hist)
    check("the history names the admin who added it",
          "added (provider demo) by admin " + USER in hist, hist)
    shot(d, "record")

    submit_and_wait(d, "#rotate", None, "#key")
    key2 = d.find_element(By.ID, "key").text.strip()
    check("rotating shows a new key", len(key2) == 50 and key2 != key)
    check("the old key is refused by the update API", curl_update(key, "203.0.113.8") == "403")
    check("the new key works", curl_update(key2, "203.0.113.8") == "200")
    d.get(ADMIN + "/record/" + NAME)
    wait_el(d, "#history")
    check("the rotation is in the history with the admin's name",
          "key rotated by admin " + USER in history_text(d))

    d.get(ADMIN + "/records?q=home.example")
    wait_el(d, "#records")
    check("the search finds the record", NAME in d.find_element(By.ID, "records").text)
    d.get(ADMIN + "/record/" + CONF_RECORD)
    wait_el(d, "#readonly")
    check("a ddns.conf record is read-only: no rotate, no delete",
          not d.find_elements(By.ID, "rotate") and not d.find_elements(By.ID, "delete"))
    shot(d, "record-config")

    d.get(ADMIN + "/providers")
    wait_el(d, "#providers")
    check("the providers page shows demo healthy",
          re.search(r"demo healthy", d.find_element(By.ID, "providers").text) is not None,
          d.find_element(By.ID, "providers").text)
    shot(d, "providers")
    d.get(ADMIN + "/activity")
    wait_el(d, "#chart")
    bars = d.find_elements(By.CSS_SELECTOR, "#chart rect.applied")
    check("the activity chart is an inline SVG with this hour's bar", len(bars) >= 1)
    check("it counts the two applied updates",
          d.find_element(By.ID, "total").text == "2", d.find_element(By.ID, "total").text)
    shot(d, "activity")

    d.get(ADMIN + "/record/" + NAME)
    wait_el(d, "#delete")
    d.find_element(By.ID, "delete").click()
    wait_el(d, "#confirm")
    shot(d, "delete")
    submit_and_wait(d, "#confirm", "/records", "#records")
    check("deleted: back on the records list, without it",
          NAME not in d.find_element(By.ID, "records").text)
    check("the deleted record's key is refused", curl_update(key2, "203.0.113.9") == "403")

    errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"
              and "Failed to load resource" not in e.get("message", "")]
    check("no script or CSP errors in the console", not errors, repr(errors))

    submit_and_wait(d, "#logout", "/login", "#login")
    check("logged out: the login page", d.current_url.endswith("/login"))
    d.get(ADMIN + "/records")
    check("after logout the records redirect to the login", wait_url(d, "/login"))


def main():
    os.makedirs(SHOTS, exist_ok=True)
    op = no_browser_checks()
    b = None
    try:
        b = Browser()
        browser_steps(b)
    except Exception as e:  # noqa: BLE001 - any failure of the browser is a failure
        check("the browser run", False, "%s: %s" % (type(e).__name__, e))
    finally:
        if b is not None:
            b.close()
    csrf_checks(op)
    throttle_checks()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
