"""Pictures of the web client for the README, taken in Debian's chromium.

    python3 tools/web_pictures.py OUT_DIR NAME=PATH[#TAB] ...

With the demo server running (``make demo``), logs in as admin, opens each
PATH (an ``/odoo/...`` address of the web client), clicks the notebook tab
whose label contains TAB when one is given, and writes OUT_DIR/NAME.png.
It talks to chromium through the DevTools protocol (``websocket-client``).
BASE_URL, DB, LOGIN and PASSWORD default to the demo's.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import requests
import websocket

BASE_URL = os.environ.get("BASE_URL", "http://localhost:8069")
DB = os.environ.get("DB", "crdemo")
LOGIN = os.environ.get("LOGIN", "admin")
PASSWORD = os.environ.get("PASSWORD", "admin")
PORT = 9333


class Page:
    """One chromium tab, driven through the DevTools protocol."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def wait_for(self, expression, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            result = self.call("Runtime.evaluate", expression=expression)
            if result.get("result", {}).get("value"):
                return
            time.sleep(0.5)
        raise TimeoutError(expression)


def session_id():
    response = requests.post(
        f"{BASE_URL}/web/session/authenticate",
        json={"params": {"db": DB, "login": LOGIN, "password": PASSWORD}},
        timeout=60,
    )
    response.raise_for_status()
    if response.json().get("error"):
        sys.exit(f"login failed: {response.json()['error']['message']}")
    return response.cookies["session_id"]


def main():
    out, shots = sys.argv[1], sys.argv[2:]
    profile = tempfile.mkdtemp()
    browser = subprocess.Popen(
        [
            shutil.which("chromium") or "chromium",
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--remote-debugging-port={PORT}",
            f"--remote-allow-origins=http://127.0.0.1:{PORT}",
            f"--user-data-dir={profile}",
            "--window-size=1400,1100",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(40):
            try:
                tabs = requests.get(f"http://127.0.0.1:{PORT}/json", timeout=5).json()
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        tab = next(t for t in tabs if t["type"] == "page")
        page = Page(tab["webSocketDebuggerUrl"])
        page.call("Network.enable")
        page.call(
            "Network.setCookie", name="session_id", value=session_id(), url=BASE_URL
        )
        for shot in shots:
            name, _, target = shot.partition("=")
            path, _, tab_label = target.partition("#")
            page.call("Page.navigate", url=BASE_URL + path)
            page.wait_for("!!document.querySelector('.o_form_view, .o_list_view')")
            if tab_label:
                page.call(
                    "Runtime.evaluate",
                    expression="[...document.querySelectorAll("
                    "'.o_notebook a.nav-link')]"
                    f".find(a => a.textContent.includes({json.dumps(tab_label)}))"
                    ".click()",
                )
            time.sleep(3)  # the view's last rendering, fonts and avatars
            # A window as tall as the view's content, so that all of it shows.
            full = page.call(
                "Runtime.evaluate",
                expression="(() => { const c = document.querySelector('.o_content');"
                " return c ? c.getBoundingClientRect().top + c.scrollHeight : 900 })()",
            )["result"]["value"]
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=1400,
                height=int(min(max(full, 300), 2400)),
                deviceScaleFactor=1,
                mobile=False,
            )
            time.sleep(1)
            # Down to the end of the view's content, not the empty page below.
            bottom = page.call(
                "Runtime.evaluate",
                expression="Math.max(300, ...[...document.querySelectorAll("
                "'.o_content table, .o_form_sheet')].map("
                "e => e.getBoundingClientRect().bottom + 24))",
            )["result"]["value"]
            width = page.call(
                "Runtime.evaluate", expression="document.documentElement.clientWidth"
            )["result"]["value"]
            shot_data = page.call(
                "Page.captureScreenshot",
                format="png",
                clip={"x": 0, "y": 0, "width": width, "height": bottom, "scale": 1},
            )["data"]
            page.call("Emulation.clearDeviceMetricsOverride")
            with open(os.path.join(out, f"{name}.png"), "wb") as file:
                file.write(base64.b64decode(shot_data))
            print(f"{out}/{name}.png")
    finally:
        browser.terminate()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
