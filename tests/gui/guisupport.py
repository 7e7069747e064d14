"""What the desktop and browser tests (ctest -L gui) share, with python3's standard library only:
polling with a deadline, the children a test starts, and reading the ports a started gp-agent
or spine-mock reports in its state directory."""

import json
import subprocess
import time


def wait_until(condition, what, timeout=30.0, retry_on=()):
    """Polls `condition` until it returns something true; fails naming `what` at the deadline.
    An exception of a type in `retry_on` counts as "not yet" (and is named if it was the last)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = condition()
        except retry_on as error:
            result, last_error = None, error
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}" +
                                 (f" (last error: {last_error})" if last_error else ""))
        time.sleep(0.1)


class Processes:
    """Every child a test starts, each logging to <logs>/<name>.log, stopped (by its own pid)
    when the test ends."""

    def __init__(self, logs):
        self.logs = logs
        self.children = []

    def start(self, name, args, env=None, **kwargs):
        log = open(self.logs / f"{name}.log", "wb")
        child = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, **kwargs)
        self.children.append((name, child))
        return child

    def stop_all(self):
        for _, child in reversed(self.children):
            if child.poll() is None:
                child.terminate()
        for _, child in reversed(self.children):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def read_ports(state_dir, child, name, timeout=30.0):
    """The ports `child` (gp-agent or spine-mock) listens on, from its ports.json; fails at once
    if it exits first."""
    ports_file = state_dir / "ports.json"

    def ready():
        if child.poll() is not None:
            raise AssertionError(f"{name} exited with {child.returncode}; see its log")
        return ports_file.exists() and json.loads(ports_file.read_text() or "{}")

    return wait_until(ready, f"{name}'s ports.json", timeout)
