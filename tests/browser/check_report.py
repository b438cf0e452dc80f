#!/usr/bin/env python3
"""Opens a report page in headless Chromium over the DevTools protocol (a pipe, Python's
standard library only) and fails on any JavaScript error, console error, network request
or dialog, on a missing chart, a table that does not sort, or a page wider than a phone.
Saves screenshots (desktop, phone) and the printed PDF (A4 landscape) into OUT_DIR.

usage: check_report.py REPORT.html OUT_DIR
"""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self):
        exe = next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])), None)
        if exe is None:
            sys.exit("check_report: chromium not found (Debian: apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="report-check-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # The browser reads commands on fd 3 and writes replies on fd 4.
        def fds():
            # Out of the way first: either end may itself be fd 3 or 4.
            r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3, inheritable=True)
            os.dup2(w, 4, inheritable=True)
        self.proc = subprocess.Popen(
            [exe, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update",
             "--user-data-dir=" + self.profile, "about:blank"],
            close_fds=False, preexec_fn=fds,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.profile, "stderr.log"), "wb"))
        os.close(to_browser_r)
        os.close(from_browser_w)
        os.set_inheritable(self.to_browser, False)
        os.set_inheritable(self.from_browser, False)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from the browser")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                log = open(os.path.join(self.profile, "stderr.log"), errors="replace").read()[-2000:]
                raise RuntimeError("the browser closed the pipe:\n" + log)
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_for(self, method, timeout=60):
        deadline = time.time() + timeout
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                del self.events[i]
                return m
        while True:
            m = self._read(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


CHECK = r"""(() => {
  const q = s => document.querySelectorAll(s).length;
  const owners = Array.from(document.querySelectorAll('section.owner'));
  const missing = [];
  owners.forEach((o, i) => {
    for (const c of ['svg.chart-products rect.seg', 'svg.chart-top-points rect', 'table.sortable tbody tr', 'svg.spark polyline, svg.spark circle']) {
      if (o.querySelectorAll(c).length === 0) missing.push(o.id + ': ' + c);
    }
    // The change chart compares the last two months.
    if (Number(o.getAttribute('data-months')) > 1 && o.querySelector('svg.chart-top-change rect') === null)
      missing.push(o.id + ': svg.chart-top-change');
  });
  return {
    ready: document.documentElement.getAttribute('data-ready'),
    owners: owners.length, missing: missing,
    charts: q('svg.chart-products') + q('svg.chart-top-points') + q('svg.chart-top-change'),
    sparklines: q('svg.spark'), rows: q('table.sortable tbody tr'), groups: q('details.group'),
    scripts: q('script'), width: document.documentElement.scrollWidth,
    external: Array.from(document.querySelectorAll('[src],[href]')).map(e => e.getAttribute('src') || e.getAttribute('href')).filter(u => !u.startsWith('#')),
  };
})()"""

SORT = r"""(() => {
  const table = Array.from(document.querySelectorAll('table.sortable'))
    .sort((a, b) => b.tBodies[0].rows.length - a.tBodies[0].rows.length)[0];
  const th = Array.from(table.tHead.rows[0].cells).find(c => c.textContent.startsWith('Change') && !c.textContent.includes('%'));
  const col = th.cellIndex;
  const values = () => Array.from(table.tBodies[0].rows).map(r => parseFloat(r.cells[col].getAttribute('data-v')));
  th.click();
  const asc = values();
  th.click();
  const desc = values();
  const sorted = (v, s) => v.every((x, i) => i === 0 || s * (x - v[i - 1]) >= 0);
  return {asc: sorted(asc, 1), desc: sorted(desc, -1), n: asc.length, aria: th.getAttribute('aria-sort')};
})()"""


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    page, out = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    b = Browser()
    problems = []
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ["Page", "Runtime", "Log", "Network"]:
            b.send(domain + ".enable", session=s)
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.send("Page.navigate", {"url": "file://" + page}, session=s)
        b.wait_for("Page.loadEventFired")
        result = b.send("Runtime.evaluate", {"expression": CHECK, "returnByValue": True}, session=s)
        info = result["result"].get("value") or {}
        print("page:", json.dumps({k: v for k, v in info.items() if k != "external"}))
        if info.get("ready") != "1":
            problems.append("the page's script did not run to its end (data-ready missing)")
        if info.get("owners", 0) == 0:
            problems.append("no owner section")
        problems += ["missing chart: " + m for m in info.get("missing", [])]
        if info.get("external"):
            problems.append(f"external resources: {info['external'][:5]}")
        sort = b.send("Runtime.evaluate", {"expression": SORT, "returnByValue": True}, session=s)["result"].get("value") or {}
        print("sort:", json.dumps(sort))
        if not (sort.get("asc") and sort.get("desc") and sort.get("n", 0) > 1):
            problems.append(f"the tenants table does not sort: {sort}")
        b.send("Runtime.evaluate", {"expression": "window.scrollTo(0, 0)"}, session=s)
        shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
        open(os.path.join(out, "report-desktop.png"), "wb").write(base64.b64decode(shot["data"]))
        full = b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                  "clip": {"x": 0, "y": 0, "width": 1280, "height": 3000, "scale": 0.5}}, session=s)
        open(os.path.join(out, "report-desktop-long.png"), "wb").write(base64.b64decode(full["data"]))
        # A phone: nothing wider than the screen (the table scrolls in its own box).
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}, session=s)
        b.send("Page.reload", session=s)
        b.wait_for("Page.loadEventFired")
        width = b.send("Runtime.evaluate", {"expression": "document.documentElement.scrollWidth", "returnByValue": True}, session=s)["result"]["value"]
        print("phone width:", width)
        if width > 390:
            problems.append(f"on a phone (390 px) the page is {width} px wide")
        shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
        open(os.path.join(out, "report-phone.png"), "wb").write(base64.b64decode(shot["data"]))
        # Printed: A4 landscape at 96 dpi is 1123 px wide.
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": 1123, "height": 794, "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.send("Emulation.setEmulatedMedia", {"media": "print"}, session=s)
        shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
        open(os.path.join(out, "report-print.png"), "wb").write(base64.b64decode(shot["data"]))
        b.send("Emulation.setEmulatedMedia", {"media": ""}, session=s)
        b.send("Emulation.clearDeviceMetricsOverride", session=s)
        pdf = b.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}, session=s, timeout=120)
        data = base64.b64decode(pdf["data"])
        open(os.path.join(out, "report-print.pdf"), "wb").write(data)
        print("printed:", len(data), "bytes of PDF")
        time.sleep(0.2)
        b.send("Runtime.evaluate", {"expression": "1"}, session=s)  # collect late events
    finally:
        b.close()
    for m in b.events:
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            problems.append("JavaScript exception: " + (d.get("exception", {}).get("description") or d.get("text", "")))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            problems.append("console " + p["type"] + ": " + " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            problems.append("browser log: " + p["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not (url.startswith("file://") or url.startswith("data:") or url == "about:blank"):
                problems.append("network request: " + url)
        elif method == "Page.javascriptDialogOpening":
            problems.append("a dialog opened: " + p.get("message", ""))
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    if problems:
        sys.exit(1)
    print("ok: no console error, every chart present; screenshots in", out)


if __name__ == "__main__":
    main()
