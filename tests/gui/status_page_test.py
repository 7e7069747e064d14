#!/usr/bin/env python3
"""Browser test for the status page (ctest -L gui).

Starts spine-mock and two gp-agents (practice A holds a patient's record, practice B asks for
it), with the hub holding back one piece of the record so that B's transfer stays in progress,
and a prescription from B that Spine refuses with a MessageError (failed for good). Then drives
headless Chromium through chromedriver's W3C WebDriver API: the page asks for a token, refuses
a wrong one (401), and with a named operate-scope token shows the red banner, the failed
message with its plain-English reason and code, and the transfer with its progress bar. It
clicks Retry and checks through the API that the message went out again and that the audit
names the token. PNG screenshots of each step go to --output.

Exits 77 (ctest: skipped) when chromium or chromedriver is missing. python3 stdlib only."""

import argparse
import base64
import functools
import hashlib
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import guisupport  # noqa: E402
from guisupport import Processes  # noqa: E402

SKIPPED = 77
HERE = Path(__file__).resolve().parent
SOURCE_ROOT = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
TOKEN_NAME = "practice-desk"
OLD_PRACTICE = ("A83008", "A83008-9199121", "200000001234")
NEW_PRACTICE = ("B86041", "B86041-9199122", "200000005678")
NHS_NUMBER = "9449304130"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element key
WAIT_SECONDS = 45.0  # how long any one step may take before the test fails


def progress(text):
    print(f"status-page test: {text}", flush=True)


wait_until = functools.partial(guisupport.wait_until, timeout=WAIT_SECONDS)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def http(method, url, body=None, token=None):
    """(status, parsed JSON body or None)."""
    request = urllib.request.Request(url, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            data = reply.read()
            return reply.status, json.loads(data) if data else None
    except urllib.error.HTTPError as error:
        data = error.read()
        try:
            return error.code, json.loads(data) if data else None
        except ValueError:
            return error.code, data.decode(errors="replace")


def start_agent(processes, work, name, practice, spine, extra):
    state = work / name
    state.mkdir(mode=0o700)
    ods, party_key, asid = practice
    (state / "agent.properties").write_text(
        f"agent.stateDir = {state}\nagent.odsCode = {ods}\nagent.partyKey = {party_key}\n"
        f"agent.asid = {asid}\napi.port = 0\ninbound.bind = 127.0.0.1\ninbound.port = 0\n"
        f"spine.url = {spine}\nsds.url = {spine}/spine-directory\ntest.allowPlainHttp = true\n"
        "retry.baseDelay = PT0.05S\nretry.maxDelay = PT0.2S\n" + extra)
    child = processes.start(name, [ARGS.agent, "--config", str(state / "agent.properties")])
    ports = guisupport.read_ports(state, child, name, WAIT_SECONDS)
    return {"state": state, "api": f"http://127.0.0.1:{ports['api']}",
            "inbound": f"http://127.0.0.1:{ports['inbound']}/inbound",
            "admin": (state / "api-token").read_text().strip()}


def add_token(agent, name, scope):
    """A named token in the agent's tokens file (kept as a SHA-256, mode 0600); returns it."""
    token = secrets.token_hex(32)
    tokens = agent["state"] / "api-tokens"
    with open(tokens, "a") as out:
        out.write(f"{name} {scope} 2026-01-01T00:00:00Z {hashlib.sha256(token.encode()).hexdigest()}\n")
    os.chmod(tokens, 0o600)
    return token


def write_record(source):
    """Practice A's record of the patient: one note and a 100 kB scan, sent in 16 kB pieces."""
    folder = source / NHS_NUMBER
    folder.mkdir(parents=True)
    (folder / "scan.bin").write_bytes(hashlib.sha256(b"seed").digest() * 3125)
    (folder / "record.json").write_text(json.dumps({
        "patient": {"nhsNumber": NHS_NUMBER},
        "compositions": [{"title": "Surgery consultation", "effectiveTime": "2024-01-05",
                          "entries": [{"kind": "narrative", "text": "Reviewed and filed."}]}],
        "attachments": [{"file": "scan.bin", "contentType": "application/octet-stream"}]}))


class Browser:
    """Headless Chromium through chromedriver's W3C WebDriver HTTP API."""

    def __init__(self, processes, work, driver):
        with socket.socket() as probe:  # a free port for chromedriver, which cannot report one
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        processes.start("chromedriver", [driver, f"--port={port}", "--allowed-ips=127.0.0.1"])
        self.base = f"http://127.0.0.1:{port}"
        wait_until(lambda: self._ready(), "chromedriver to listen")
        profile = work / "chromium-profile"
        profile.mkdir()
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,1100",
                f"--user-data-dir={profile}"]
        status, reply = http("POST", self.base + "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}})
        check(status == 200, f"chromedriver could not start Chromium: HTTP {status} {reply}")
        self.session = self.base + "/session/" + reply["value"]["sessionId"]

    def _ready(self):
        try:
            status, reply = http("GET", self.base + "/status")
            return status == 200 and reply["value"]["ready"]
        except OSError:
            return False

    def call(self, method, path, body=None):
        status, reply = http(method, self.session + path, body)
        check(status == 200, f"WebDriver {method} {path}: HTTP {status} {reply}")
        return reply["value"]

    def open(self, url):
        self.call("POST", "/url", {"url": url})

    def find(self, css):
        found = self.call("POST", "/element", {"using": "css selector", "value": css})
        check(isinstance(found, dict) and ELEMENT in found, f"no element {css}: {found}")
        return found[ELEMENT]

    def click(self, css):
        self.call("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        element = self.find(css)
        self.call("POST", f"/element/{element}/clear", {})
        self.call("POST", f"/element/{element}/value", {"text": text})

    def run(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path):
        path.write_bytes(base64.b64decode(self.call("GET", "/screenshot")))
        progress(f"screenshot {path}")

    def close(self):
        try:
            http("DELETE", self.session)
        except OSError:
            pass


# What the page shows, read from its DOM in one go.
READ_PAGE = """
const text = (id) => { const node = document.getElementById(id); return node ? node.textContent : ''; };
const visible = (id) => { const node = document.getElementById(id); return Boolean(node) && !node.hidden; };
const rows = (id) => Array.from(document.querySelectorAll('#' + id + ' tr'));
return {
  banner: document.getElementById('banner').dataset.state || '',
  bannerText: text('banner-text'),
  notice: visible('notice') ? text('notice') : '',
  tokenPrompt: visible('token-section'),
  tokenHelp: text('token-help'),
  refreshes: Number(document.body.dataset.refreshes || 0),
  failed: rows('failed-rows').map((row) => ({
    id: row.dataset.messageId, state: row.dataset.state,
    reason: row.querySelector('.reason') ? row.querySelector('.reason').textContent : '',
    code: row.querySelector('.code') ? row.querySelector('.code').textContent : '',
    retry: Boolean(row.querySelector('button[data-action="retry"]'))})),
  transfers: rows('transfer-rows').map((row) => {
    const bar = row.querySelector('progress');
    return {id: row.dataset.conversationId, state: row.dataset.state,
            max: bar ? bar.max : null, value: bar ? bar.value : null,
            text: row.querySelector('.progress-text') ? row.querySelector('.progress-text').textContent : ''};
  }),
  audit: rows('audit-rows').map((row) => row.textContent),
};
"""


def main():
    work = Path(tempfile.mkdtemp(prefix="gp-status-page-"))
    output = Path(ARGS.output)
    output.mkdir(parents=True, exist_ok=True)
    processes = Processes(work)
    browser = None
    passed = False
    try:
        # The hub waits ten minutes before trying again a delivery that failed, so the one piece
        # of the record it could not deliver holds the transfer in progress for the whole test.
        mock_dir = work / "spine-mock"
        mock_dir.mkdir()
        (mock_dir / "spine-mock.properties").write_text(
            f"mock.port = 0\nmock.stateDir = {mock_dir}\nmock.allowPlainHttp = true\n"
            "mock.forwardRetryDelay = PT10M\nmock.forwardMaxDelay = PT10M\n")
        mock = processes.start("spine-mock", [ARGS.spine_mock, "--config",
                                              str(mock_dir / "spine-mock.properties")])
        spine = f"http://127.0.0.1:{guisupport.read_ports(mock_dir, mock, 'spine-mock', WAIT_SECONDS)['http']}"

        records = work / "records"
        write_record(records)
        old = start_agent(processes, work, "agent-a", OLD_PRACTICE, spine,
                          f"gp2gp.recordSource = {records}\ngp2gp.largeThreshold = 16384\n")
        new = start_agent(processes, work, "agent-b", NEW_PRACTICE, spine,
                          f"gp2gp.importDir = {work / 'import'}\n")
        for practice, agent in ((OLD_PRACTICE, old), (NEW_PRACTICE, new)):
            status, reply = http("POST", spine + "/_admin/practices", {
                "odsCode": practice[0], "partyKey": practice[1], "asid": practice[2],
                "inboundUrl": agent["inbound"]})
            check(status // 100 == 2, f"practice not registered: HTTP {status} {reply}")
        progress("spine-mock and two agents started")

        # B gets one piece of the record and the hub holds back the rest. The first COPC the hub
        # forwards is B's Continue: the first rule lets it through (twice: A ignores the
        # duplicate). The second delivers the first piece but loses B's answer, so the hub tries
        # it again in ten minutes, and keeps the conversation's later pieces waiting behind it.
        for fault in ({"type": "duplicate"}, {"type": "lostReply"}):
            http("POST", spine + "/_admin/faults", {"interaction": "COPC_IN000001UK01",
                                                   "times": 1, "leg": "forward", "fault": fault})
        status, reply = http("POST", new["api"] + "/v1/gp2gp/requests",
                             {"nhsNumber": NHS_NUMBER, "fromOdsCode": OLD_PRACTICE[0]}, new["admin"])
        check(status == 202, f"GP2GP request: HTTP {status} {reply}")
        transfer_id = reply["conversationId"]

        seen = {}

        def part_way():
            _, view = http("GET", new["api"] + f"/v1/gp2gp/transfers/{transfer_id}",
                           token=new["admin"])
            seen.update(view or {})
            return (view and 0 < view.get("bytesDone", 0) < view.get("bytesExpected", 0) and
                    view)

        try:
            view = wait_until(part_way, "practice B's transfer to have some of the record")
        except AssertionError as error:
            summary = {key: seen.get(key) for key in ("state", "partsExpected", "partsReceived",
                                                      "bytesExpected", "bytesDone")}
            raise AssertionError(f"{error}; last seen {summary}") from None
        progress(f"transfer {transfer_id}: {view['partsReceived']} of {view['partsExpected']} parts")

        # A prescription from B that Spine refuses for good.
        http("POST", spine + "/_admin/faults", {
            "interaction": "PORX_IN020101SM31", "times": 1,
            "fault": {"type": "messageError", "errorCode": "ValueNotRecognized",
                      "description": "501319:Unknown eb:CPAId"}})
        prescription = json.loads((SOURCE_ROOT / "installer/examples/prescription.json").read_text())
        prescription.pop("prescriptionId", None)
        status, reply = http("POST", new["api"] + "/v1/eps/prescriptions", prescription,
                             new["admin"])
        check(status == 202, f"submit: HTTP {status} {reply}")
        message_id = reply["messageId"]
        wait_until(lambda: http("GET", new["api"] + f"/v1/messages/{message_id}",
                                token=new["admin"])[1]["state"] == "failed",
                   f"message {message_id} to fail")
        progress(f"message {message_id} failed")
        token = add_token(new, TOKEN_NAME, "operate")

        browser = Browser(processes, work, shutil.which("chromedriver"))
        browser.open(new["api"] + "/")

        # Without a token the page says what to do.
        page = wait_until(lambda: (lambda p: p if p["tokenPrompt"] else None)(browser.run(READ_PAGE)),
                          "the token prompt")
        check("gp-agentctl token add" in page["tokenHelp"], f"token help: {page['tokenHelp']!r}")
        browser.screenshot(output / "01-token-prompt.png")

        # A wrong token is refused and the page says so.
        browser.type("#token-input", "not-a-token")
        browser.click("#token-save")
        page = wait_until(lambda: (lambda p: p if "401" in p["notice"] else None)(
            browser.run(READ_PAGE)), "the page to report the refused token")
        check(page["tokenPrompt"], "the token prompt after a 401")
        browser.screenshot(output / "02-token-refused.png")

        browser.type("#token-input", token)
        browser.click("#token-save")

        def shows_both():
            p = browser.run(READ_PAGE)
            ok = (p["banner"] == "red" and any(f["id"] == message_id for f in p["failed"]) and
                  any(t["id"] == transfer_id for t in p["transfers"]))
            return p if ok else None

        page = wait_until(shows_both, "the failed message and the transfer on the page")
        failed = next(f for f in page["failed"] if f["id"] == message_id)
        check(failed["code"] == "ValueNotRecognized", f"code shown: {failed['code']!r}")
        check("CPA ID" in failed["reason"], f"reason shown: {failed['reason']!r}")
        check(failed["retry"], "a Retry button on the failed message")
        transfer = next(t for t in page["transfers"] if t["id"] == transfer_id)
        check(transfer["max"] and 0 < transfer["value"] < transfer["max"],
              f"a part-filled progress bar: {transfer}")
        check("need" in page["bannerText"], f"banner: {page['bannerText']!r}")
        check(page["audit"], "audit entries on the page")
        browser.screenshot(output / "03-failed-and-transfer.png")
        progress(f"page shows {failed['code']} ({failed['reason']}) and {transfer['text']}")

        # Retry from the page; the API shows the message sent again, audited with the token.
        browser.click(f'button[data-action="retry"][data-message-id="{message_id}"]')

        def delivered():
            _, message = http("GET", new["api"] + f"/v1/messages/{message_id}", token=new["admin"])
            return message if message["state"] == "acked" else None

        message = wait_until(delivered, f"message {message_id} to be sent again and acknowledged")
        retries = [row for row in message["history"] if row["event"] == "retry-requested"]
        check(len(retries) == 1 and retries[0]["actor"] == f"api:{TOKEN_NAME}",
              f"one retry-requested by api:{TOKEN_NAME}: {retries}")
        page = wait_until(lambda: (lambda p: p if not p["failed"] and p["banner"] == "amber"
                                   else None)(browser.run(READ_PAGE)),
                          "the page to show no failure and the transfer still in progress")
        check("queued to be sent again" in page["notice"], f"notice: {page['notice']!r}")
        check(any(TOKEN_NAME in row and "retry-requested" in row for row in page["audit"]),
              "the retry in the page's audit entries")
        browser.screenshot(output / "04-after-retry.png")
        progress("retry from the page delivered the message; audited as api:" + TOKEN_NAME)
        print("status-page test: passed")
        passed = True
        return 0
    except Exception as error:  # noqa: BLE001 - any failure: say what, keep the logs
        print(f"status-page test: FAILED: {type(error).__name__}: {error}\n(logs in {work})",
              file=sys.stderr)
        return 1
    finally:
        if browser:
            browser.close()
        processes.stop_all()
        if passed and not os.environ.get("GP_KEEP_TEST_DIRS"):
            shutil.rmtree(work, ignore_errors=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", required=True)
    parser.add_argument("--spine-mock", required=True)
    parser.add_argument("--output", required=True)
    return parser.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()
    missing = [name for name, found in (("chromium", os.access(CHROMIUM, os.X_OK)),
                                        ("chromedriver", shutil.which("chromedriver")))
               if not found]
    if missing:
        print(f"status-page test: SKIPPED: {' and '.join(missing)} not installed "
              "(apt-get install chromium chromium-driver, or installer/install-build-deps.sh)")
        sys.exit(SKIPPED)
    sys.exit(main())
