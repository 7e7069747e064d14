#!/usr/bin/env python3
"""Desktop test for gp-agent-tray (ctest -L gui).

Starts two X servers (Xvfb): one with a tint2 panel holding a system tray, one bare. Starts
spine-mock and gp-agent, and the tray on each display: the first shows the icon in tint2's
tray, the second, finding no tray, shows its fallback status window. Drives the agent green
(a prescription acknowledged), amber (Spine answering 503: a message waiting to retry) and red
(a permanent MessageError: a failed message), and for each state saves PNG screenshots of the
icon and the fallback window into --output (and of the tooltip in amber and the "message
failed" notification in red, for docs/tray.md), checking from the screenshots that the icon and
the window show the state's colour. The trays use a read token, as a workstation's would.

Exits 77 (ctest: skipped) when Xvfb, tint2 or the X tools are missing. python3 stdlib only."""

import argparse
import functools
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import guisupport  # noqa: E402
import screenshots  # noqa: E402
from guisupport import Processes, read_ports  # noqa: E402

SKIPPED = 77
HERE = Path(__file__).resolve().parent
SOURCE_ROOT = HERE.parent.parent
PANEL_HEIGHT = 32  # tests/gui/tint2rc


STARTED = time.monotonic()


def progress(text):
    print(f"[{time.monotonic() - STARTED:5.1f}s] {text}", flush=True)


# A screenshot that fails (xwd racing a window) is taken again until the deadline.
wait_until = functools.partial(guisupport.wait_until, retry_on=(screenshots.CaptureError,))


def start_xvfb(processes, name):
    """An X server on a display number it picks itself (-displayfd); returns ":N"."""
    read_end, write_end = os.pipe()
    processes.start(name, ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "640x400x24", "-noreset",
                           "-nolisten", "tcp"], pass_fds=(write_end,))
    os.close(write_end)
    # Read up to the newline before closing: Xvfb writes the number and the newline apart,
    # and stops if the second write finds the pipe closed.
    reply = b""
    deadline = time.monotonic() + 30
    while not reply.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(read_end, 16) if ready else b""
        if not chunk:
            break
        reply += chunk
    os.close(read_end)
    number = reply.decode().strip()
    if not number:
        raise AssertionError(f"{name} did not report its display number")
    return ":" + number


class Agent:
    def __init__(self, port, token):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def call(self, method, path, body=None):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else body.encode())
        request.add_header("Authorization", "Bearer " + self.token)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def submit_prescription(self):
        prescription = json.loads((SOURCE_ROOT / "installer/examples/prescription.json").read_text())
        prescription.pop("prescriptionId", None)  # a fresh ID each time: never a duplicate
        status, reply = self.call("POST", "/v1/eps/prescriptions", json.dumps(prescription))
        if status != 202:
            raise AssertionError(f"submit: HTTP {status} {reply}")
        return reply["messageId"]

    def wait_for_state(self, message_id, state):
        seen = []

        def reached():
            status, reply = self.call("GET", f"/v1/messages/{message_id}")
            seen[:] = [status, reply.get("state", reply)]
            return seen[1] == state

        try:
            wait_until(reached, f"message {message_id} to be {state}")
        except AssertionError as error:
            raise AssertionError(f"{error}; last seen: HTTP {seen[0]}, {seen[1]}") from None


def spine_admin(port, method, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_admin/faults", method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status


def screen(display):
    """A picture of the whole display, trying again if xwd fails once."""
    return wait_until(lambda: screenshots.capture(display), f"a screenshot of {display}", 10)


def find_window(display, title):
    """The id of the mapped top-level window with this title, or None."""
    tree = subprocess.run(["xwininfo", "-display", display, "-root", "-tree"],
                          capture_output=True, text=True).stdout
    for match in re.finditer(r"^\s*(0x[0-9a-f]+) \"" + re.escape(title) + r"\"", tree, re.M):
        info = subprocess.run(["xwininfo", "-display", display, "-id", match.group(1)],
                              capture_output=True, text=True).stdout
        if "IsViewable" in info:
            return match.group(1)
    return None


def tray_icon(display):
    """The tray icon's surroundings cropped from tint2's panel, once an icon is on it."""
    picture = screenshots.capture(display)
    panel = picture.crop(0, picture.height - PANEL_HEIGHT, picture.width, PANEL_HEIGHT)
    bounds = screenshots.coloured_bounds(panel)
    if not bounds:
        return None
    centre = (bounds[0] + bounds[2]) // 2
    return panel.crop(centre - 32, 0, 64, PANEL_HEIGHT), centre


def shows(image, state):
    found, share, pixels = screenshots.dominant_state(image)
    return found == state and share > 0.8 and pixels >= 40


def capture_state(state, desktop, bare, output, results):
    """Waits until icon and window show `state`, then saves their screenshots."""
    icon, centre = wait_until(lambda: (lambda found: found if found and shows(found[0], state)
                                       else None)(tray_icon(desktop)),
                              f"the tray icon to turn {state}")
    progress(f"icon is {state}")
    icon.save_png(output / f"tray-icon-{state}.png")
    window_id = wait_until(lambda: find_window(bare, "gp-agent status"), "the fallback window")
    window = wait_until(lambda: (lambda image: image if shows(image, state) else None)(
        screenshots.capture(bare, window_id)), f"the fallback window to turn {state}")
    window.save_png(output / f"tray-window-{state}.png")
    progress(f"fallback window is {state}")
    results[state] = screenshots.dominant_state(icon)[:2]
    return centre


def save_popup(display, before, name, output):
    """Saves what appeared above the panel since `before` (a tooltip or a notification balloon).
    Best effort: the images are for people, and nothing is asserted on them."""

    def drawn():
        now = screenshots.capture(display)
        above = before.crop(0, 0, before.width, before.height - PANEL_HEIGHT)
        changed = screenshots.changed_bounds(above, now.crop(0, 0, now.width, above.height))
        return (now, changed) if changed else None

    try:
        wait_until(drawn, name, timeout=5)
        time.sleep(0.5)  # let it finish painting
        now, (left, top, right, bottom) = drawn()
        now.crop(left - 4, top - 4, right - left + 9, bottom - top + 9).save_png(
            output / f"tray-{name}.png")
    except (AssertionError, TypeError, screenshots.CaptureError):
        print(f"note: no {name} appeared; its screenshot is not saved")


def save_tooltip(display, centre, state, output):
    """Rests the pointer on the icon so its tooltip shows, and saves that."""
    before = screen(display)
    x, y = centre, before.height - PANEL_HEIGHT // 2
    env = dict(os.environ, DISPLAY=display)
    subprocess.run(["xdotool", "mousemove", str(x - 5), str(y)], env=env, check=True)
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], env=env, check=True)
    save_popup(display, before, f"tooltip-{state}", output)
    subprocess.run(["xdotool", "mousemove", "0", "0"], env=env, check=True)
    try:
        wait_until(lambda: not screenshots.changed_bounds(before, screenshots.capture(display)),
                   "the tooltip to close", timeout=15)
        progress(f"tooltip saved and closed ({state})")
    except AssertionError:
        print("note: the tooltip stayed open; later popup screenshots may include it")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("--tray", "--agent", "--agentctl", "--spine-mock", "--output"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()

    missing = [tool for tool in ("Xvfb", "tint2", "xwd", "xwininfo", "xprop", "xdotool")
               if shutil.which(tool) is None]
    if missing:
        print(f"SKIPPED: {', '.join(missing)} not installed "
              "(Debian: apt-get install xvfb tint2 x11-apps x11-utils xdotool; installer/install-build-deps.sh does)")
        return SKIPPED

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    for old in output.glob("tray-*.png"):
        old.unlink()
    work = Path(tempfile.mkdtemp(prefix="gp-tray-gui-"))
    processes = Processes(work)
    try:
        run(args, work, output, processes)
    finally:
        processes.stop_all()
        if os.environ.get("GP_KEEP_TEST_DIRS"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def run(args, work, output, processes):
    desktop = start_xvfb(processes, "xvfb-desktop")
    bare = start_xvfb(processes, "xvfb-bare")
    x_env = dict(os.environ, XDG_CONFIG_HOME=str(work / "config"), XDG_RUNTIME_DIR=str(work / "run"),
                 DBUS_SESSION_BUS_ADDRESS="disabled:", QT_QPA_PLATFORM="xcb")
    (work / "run").mkdir(mode=0o700)
    # There is no window manager: say what one would (one desktop), or tint2 waits 15 s for it.
    for prop, value in (("_NET_NUMBER_OF_DESKTOPS", "1"), ("_NET_CURRENT_DESKTOP", "0")):
        subprocess.run(["xprop", "-display", desktop, "-root", "-f", prop, "32c", "-set", prop,
                        value], check=True)
    processes.start("tint2", ["tint2", "-c", str(HERE / "tint2rc")], env=dict(x_env, DISPLAY=desktop))

    mock_dir = work / "spine-mock"
    mock_dir.mkdir()
    (mock_dir / "spine-mock.properties").write_text(
        f"mock.port = 0\nmock.stateDir = {mock_dir}\nmock.allowPlainHttp = true\n")
    mock = processes.start("spine-mock", [args.spine_mock, "--config",
                                          str(mock_dir / "spine-mock.properties")])
    mock_port = read_ports(mock_dir, mock, "spine-mock")["http"]

    agent_dir = work / "agent"
    agent_dir.mkdir(mode=0o700)
    spine = f"http://127.0.0.1:{mock_port}"
    # Retries far apart, so a message that met a 503 stays waiting (amber) while we look.
    (agent_dir / "agent.properties").write_text(
        f"agent.stateDir = {agent_dir}\nagent.odsCode = A83008\nagent.partyKey = A83008-9199121\n"
        f"agent.asid = 200000001234\napi.port = 0\ninbound.bind = 127.0.0.1\ninbound.port = 0\n"
        f"spine.url = {spine}\nsds.url = {spine}/spine-directory\n"
        "retry.baseDelay = PT2M\nretry.maxDelay = PT5M\ntest.allowPlainHttp = true\n")
    progress("X servers, tint2 and spine-mock started")
    agent_process = processes.start("gp-agent", [args.agent, "--config",
                                                 str(agent_dir / "agent.properties")])
    api_port = read_ports(agent_dir, agent_process, "gp-agent")["api"]
    agent = Agent(api_port, (agent_dir / "api-token").read_text().strip())

    # The trays get what a workstation gets: a read token made with gp-agentctl (operations.md).
    added = subprocess.run([args.agentctl, "--config", str(agent_dir / "agent.properties"),
                            "token", "add", "reception-1"], capture_output=True, text=True)
    if added.returncode != 0:
        raise AssertionError(f"gp-agentctl token add: {added.stderr.strip()}")
    token_file = work / "tray-token"
    token_file.write_text(added.stdout.strip() + "\n")
    token_file.chmod(0o600)
    reader = Agent(api_port, added.stdout.strip())
    wait_until(lambda: reader.call("GET", "/v1/status")[0] == 200, "the read token to be accepted")

    tray_args = [args.tray, "--agent-url", agent.base, "--token-file", str(token_file),
                 "--poll-interval", "0.3"]
    processes.start("tray-desktop", tray_args, env=dict(x_env, DISPLAY=desktop))
    processes.start("tray-bare", tray_args, env=dict(x_env, DISPLAY=bare))

    progress("gp-agent and both trays started")
    results = {}
    # Green: one prescription acknowledged, nothing waiting.
    agent.wait_for_state(agent.submit_prescription(), "acked")
    centre = capture_state("green", desktop, bare, output, results)

    # Amber: Spine answers 503 with Retry-After, so a message waits to retry.
    spine_admin(mock_port, "POST", {"interaction": "*", "times": 1000,
                                    "fault": {"type": "http", "status": 503, "retryAfter": 120}})
    agent.wait_for_state(agent.submit_prescription(), "retry-wait")
    capture_state("amber", desktop, bare, output, results)
    save_tooltip(desktop, centre, "amber", output)

    # Red: a permanent ebXML MessageError fails the next message.
    spine_admin(mock_port, "DELETE")
    spine_admin(mock_port, "POST", {"interaction": "*", "times": 1, "fault": {
        "type": "messageError", "errorCode": "ValueNotRecognized",
        "description": "501319:Unknown eb:CPAId"}})
    quiet = screen(desktop)
    agent.wait_for_state(agent.submit_prescription(), "failed")
    capture_state("red", desktop, bare, output, results)
    save_popup(desktop, quiet, "notification-red", output)  # "A message failed"

    for state, (found, share) in results.items():
        print(f"{state}: icon dominant colour {found} ({share:.0%} of its coloured pixels)")
    print(f"screenshots in {output}")


if __name__ == "__main__":
    sys.exit(main())
