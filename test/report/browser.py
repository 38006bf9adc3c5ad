#!/usr/bin/env python3
"""browser.py CHROMIUM normal|hostile|fragment PAGE SCREENSHOT

Opens PAGE (a file written by "mailban report") in headless Chromium,
driven over --remote-debugging-pipe (the DevTools protocol as NUL-
terminated JSON on fds 3 and 4: no sockets, no extra Python modules),
checks the DOM, clicks column headings with real mouse events, and saves
a full-page screenshot.  Prints "ok - ..." / "not ok - ..." lines; exits
1 when a check failed, 2 when the browser could not be driven."""
import base64, json, os, pathlib, select, shutil, subprocess, sys, tempfile, time

chromium, mode, page, shot = sys.argv[1:5]
checks = {"pass": 0, "fail": 0}


def check(desc, cond, detail=""):
    if cond:
        checks["pass"] += 1
        print("ok - " + desc)
    else:
        checks["fail"] += 1
        print("not ok - %s %s" % (desc, detail))


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="mailban-chromium-")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds():
            # via fds above 4 (a pipe may itself be fd 3 or 4), and without
            # close-on-exec (dup2 onto itself would keep it)
            a, b = os.dup(to_r), os.dup(from_w)
            a, b = os.dup2(a, 100), os.dup2(b, 101)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars",
             "--user-data-dir=" + self.profile, "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.profile + ".log", "w"), preexec_fn=fds, close_fds=False)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            data = os.read(self.from_r, 1 << 20)
            if not data:
                raise EOFError("chromium closed the pipe")
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.to_w, json.dumps(m).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            r = self._read(deadline)
            if r.get("id") == self.next_id:
                if "error" in r:
                    raise RuntimeError("%s: %s" % (method, r["error"]))
                return r.get("result", {})
            self.events.append(r)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def run():
    b = Browser()
    try:
        tid = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        b.send("Page.enable", session=s)
        b.send("Runtime.enable", session=s)
        # any alert() the page's content could reach is recorded, not shown
        b.send("Page.addScriptToEvaluateOnNewDocument", {"source":
               "window.__alerts=[];window.alert=function(m){window.__alerts.push(String(m));};"},
               session=s)
        b.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900,
               "deviceScaleFactor": 1, "mobile": False}, session=s)
        url = pathlib.Path(page).resolve().as_uri()
        if mode == "fragment":
            url += "#sort=-count"
        b.send("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired")

        def js(expr):
            r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s)
            if "exceptionDetails" in r:
                raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
            return r["result"].get("value")

        def click(selector):
            rect = js("(function(){var e=document.querySelector(%s),r;"
                      "e.scrollIntoView({block:'center'});r=e.getBoundingClientRect();"
                      "return [r.left+r.width/2,r.top+r.height/2];})()" % json.dumps(selector))
            for t in ("mouseMoved", "mousePressed", "mouseReleased"):
                b.send("Input.dispatchMouseEvent", {"type": t, "x": rect[0], "y": rect[1],
                       "button": "left", "clickCount": 1}, session=s)

        def column(key):
            return js("(function(){var h=document.querySelectorAll('#bans thead th'),i;"
                      "for(i=0;i<h.length;i++)if(h[i].dataset.key===%s)break;"
                      "return Array.prototype.map.call(document.querySelectorAll('#bans tbody tr'),"
                      "function(r){return r.cells[i].textContent;});})()" % json.dumps(key))

        def column_v(key):
            return js("(function(){var h=document.querySelectorAll('#bans thead th'),i;"
                      "for(i=0;i<h.length;i++)if(h[i].dataset.key===%s)break;"
                      "return Array.prototype.map.call(document.querySelectorAll('#bans tbody tr'),"
                      "function(r){return Number(r.cells[i].dataset.v);});})()" % json.dumps(key))

        rows = js("document.querySelectorAll('#bans tbody tr').length")
        bars = js("document.querySelectorAll('svg#chart rect.bar').length")
        alerts = js("window.__alerts")
        scripts = js("document.scripts.length")
        check("no alert() ran", alerts == [], repr(alerts))
        check("one script element, the page's own", scripts == 1, repr(scripts))
        check("no external resources", js("document.querySelectorAll("
              "'[src],link[href],img,iframe,object,embed').length") == 0)
        # the Content-Security-Policy: the page's own style and script run
        # (the sorting checks below need the script), anything injected
        # does not
        check("the page's own style applies under its CSP",
              js("getComputedStyle(document.body).backgroundColor") == "rgb(245, 246, 248)",
              repr(js("getComputedStyle(document.body).backgroundColor")))
        check("an injected inline script is refused (CSP)",
              js("(function(){var e=document.createElement('script');"
                 "e.textContent='window.__injected=1';document.body.appendChild(e);"
                 "var r=window.__injected===1;e.remove();return r;})()") is False)
        check("an injected inline style is refused (CSP)",
              js("(function(){var e=document.createElement('style');"
                 "e.textContent='body{margin-left:77px}';document.head.appendChild(e);"
                 "var r=getComputedStyle(document.body).marginLeft;e.remove();return r;})()")
              != "77px")

        if mode in ("normal", "fragment"):
            check("12 rows of active bans", rows == 12, repr(rows))
            check("the chart has 30 bars", bars == 30, repr(bars))
            heights = js("Array.prototype.map.call(document.querySelectorAll('svg#chart rect.bar'),"
                         "function(r){return [Number(r.dataset.bans),r.getBBox().height];})")
            today = heights[-1][0]
            check("the chart's bars follow the ban log (day d: (7d mod 13) bans)",
                  [h[0] for h in heights] == [((29 - i) * 7) % 13 for i in range(30)],
                  repr([h[0] for h in heights]))
            check("taller bars for more bans",
                  all((a[0] > c[0]) == (a[1] > c[1]) for a in heights for c in heights),
                  repr(heights[:5]))
            check("the chart is laid out (non-empty box)",
                  js("document.getElementById('chart').getBoundingClientRect().width") > 600)
            links = js("Array.prototype.map.call(document.querySelectorAll('#bans tbody a'),"
                       "function(a){return [a.closest('tr').cells[0].textContent,a.href];})")
            want = sorted(["203.0.113.61", "192.0.2.44", "198.51.100.200", "203.0.113.130",
                           "198.51.100.77", "2001:db8::7"])
            check("lookup links exactly for the DNSBL-triggered bans",
                  sorted(a for a, _ in links) == want, repr(links))
            check("lookup URL built from the address",
                  all(h == "https://multirbl.valli.org/lookup/%s.html" % a for a, h in links),
                  repr(links))
            if mode == "fragment":
                counts = column_v("count")
                check("#sort=-count opens sorted by ban count, descending",
                      counts == sorted(counts, reverse=True) and counts[0] == 5, repr(counts))
                check("the heading shows it",
                      js("document.querySelector('th[data-key=count]').getAttribute('aria-sort')")
                      == "descending")
            else:
                click("th[data-key=count]")
                counts = column_v("count")
                check("a click on 'Bans' sorts numerically, ascending",
                      counts == sorted(counts) and counts[-1] == 5, repr(counts))
                check("the order is kept in the URL", js("location.hash") == "#sort=count",
                      js("location.hash"))
                click("th[data-key=count]")
                counts = column_v("count")
                check("a second click sorts descending", counts == sorted(counts, reverse=True),
                      repr(counts))
                click("th[data-key=last]")
                last = column_v("last")
                check("'Last ban' sorts by time value", last == sorted(last), repr(last))
                click("th[data-key=left]")
                left = column_v("left")
                texts = column("left")
                check("'Left' sorts by seconds, not text", left == sorted(left) and
                      texts[0].endswith("s") and texts[-1].endswith("h"), repr(texts))
                click("th[data-key=address]")
                addrs = column("address")
                check("'Address' sorts by address bytes, IPv4 first",
                      addrs[:3] == ["10.20.30.40", "192.0.2.5", "192.0.2.44"] and
                      addrs[-1] == "2001:db8:ffff::1", repr(addrs))
                # the evidence of a ban, shown when its row is opened
                evs = js("Array.prototype.map.call(document.querySelectorAll("
                         "'#bans tbody tr.has-ev'),function(r){return r.cells[0].textContent;})")
                check("rows with evidence are marked: those the state has lines for",
                      sorted(evs) == ["2001:db8::7", "203.0.113.61"], repr(evs))
                check("no evidence is shown before a row is opened",
                      "zen.spamhaus.org; n=0" not in js("document.body.innerText"))
                find = ("Array.prototype.findIndex.call(document.querySelectorAll("
                        "'#bans tbody tr'),function(r){return r.cells[0].textContent"
                        "==='203.0.113.61';})")
                idx = js(find)
                click("#bans tbody tr:nth-child(%d) td:nth-child(2)" % (idx + 1))
                ev = js("(function(){var r=document.querySelectorAll('#bans tbody tr')[%d],"
                        "n=r.nextElementSibling;return [r.getAttribute('aria-expanded'),"
                        "n&&n.className,n&&n.innerText,n&&n.getBoundingClientRect().height];})()"
                        % idx)
                check("a click on the row opens its evidence right under it",
                      ev[0] == "true" and ev[1] == "ev" and "n=0" in ev[2] and "n=2" in ev[2]
                      and ev[3] > 20, repr(ev))
                check("the lines oldest first, with time and pattern",
                      ev[2].index("n=0") < ev[2].index("n=2") and "postfix-rbl +10" in ev[2],
                      repr(ev[2]))
                click("th[data-key=count]")
                after = js("(function(){var r=document.querySelectorAll('#bans tbody tr')[%s];"
                           "var n=r.nextElementSibling;return [n&&n.className,"
                           "document.querySelectorAll('#bans tbody tr.ev').length];})()" % find)
                check("sorting keeps the open evidence under its ban", after == ["ev", 1],
                      repr(after))
                click("#bans tbody tr:nth-child(%d) td:nth-child(2)" % (js(find) + 1))
                check("a second click closes it",
                      js("document.querySelectorAll('#bans tbody tr.ev').length") == 0)
                click("#patterns thead th:nth-child(2)")
                act = js("Array.prototype.map.call(document.querySelectorAll('#patterns tbody tr'),"
                         "function(r){return Number(r.cells[1].textContent);})")
                check("the per-pattern table sorts too", act == sorted(act) and len(act) == 10,
                      repr(act))
        elif mode == "hostile":
            check("4 rows (the row with a bad address is skipped)", rows == 4, repr(rows))
            inj = js("document.querySelectorAll('img,svg[onload],#inj,b,[onerror],[onmouseover]')"
                     ".length")
            check("no injected elements or handlers", inj == 0, repr(inj))
            check("one svg, the chart", js("document.querySelectorAll('svg').length") == 1)
            check("tables keep their shape", js("document.querySelectorAll('table').length") == 2
                  and js("Array.prototype.every.call(document.querySelectorAll('#bans tbody tr'),"
                         "function(r){return r.cells.length===10;})"))
            text = js("document.body.innerText")
            for lit in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
                        "</td></tr></table><script>alert(3)</script>",
                        'x"><svg onload=alert(2)>-rbl', "p'onmouseover='alert(4)",
                        '</table><b id="inj">x</b>', "bad\\xFF\\xFEutf8&amp;", "ctl\\x01\\x1B[31mred",
                        "host\\u202Eevil"):
                check("shown literally: " + lit, lit in text)
            hrefs = js("Array.prototype.map.call(document.querySelectorAll('a'),"
                       "function(a){return a.getAttribute('href');})")
            check("the one lookup link is built from the address only",
                  hrefs == ["https://multirbl.valli.org/lookup/203.0.113.67.html"], repr(hrefs))
            opened = js("(function(){var r=document.querySelector('#bans tbody tr.has-ev');"
                        "return r?r.cells[0].textContent:null;})()")
            check("the hostile ban's evidence is offered", opened == "203.0.113.66", repr(opened))
            click("#bans tbody tr.has-ev td:nth-child(3)")
            check("and opens", js("document.querySelectorAll('#bans tbody tr.ev').length") == 1)
            inj = js("document.querySelectorAll('img,svg[onload],#inj,b,[onerror],[onmouseover]')"
                     ".length")
            check("its lines inject no element or handler", inj == 0, repr(inj))
            check("no alert() ran after opening it", js("window.__alerts") == [])
            text = js("document.body.innerText")
            lit = 'from=<"><img src=x onerror=alert(7)>> </pre></div><b id="inj">'
            check("its line shown literally: " + lit, lit in text)
        # the page as a person sees it
        size = js("[document.documentElement.scrollWidth,document.documentElement.scrollHeight]")
        shotr = b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                       "clip": {"x": 0, "y": 0, "width": max(size[0], 1280),
                                "height": size[1], "scale": 1}}, session=s)
        png = base64.b64decode(shotr["data"])
        with open(shot, "wb") as f:
            f.write(png)
        check("screenshot taken (%s, %d bytes)" % (shot, len(png)),
              png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000)
    finally:
        b.close()


try:
    run()
except (TimeoutError, EOFError, RuntimeError, OSError) as e:
    print("not ok - driving chromium: %s" % e)
    sys.exit(2)
print("%d passed, %d failed" % (checks["pass"], checks["fail"]))
sys.exit(1 if checks["fail"] else 0)
