"""`jihua serve`: a read-only web page and JSON API over a plan database.

Pages: ``/`` (search with facets and filters), ``/doc/<doc_id>`` (one plan, with its
phases, dates, units and targets marked in its original script, a toggle to simplified,
its outline and its tasks). API: ``/api`` (what there is), ``/api/search``,
``/api/doc/<doc_id>``. The database (a SQLite file or a PostgreSQL URL) is opened
read-only, every query is parameterized, all text is escaped, and the server binds to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import html
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlparse

from . import db
from .normalize import to_simplified

CSP = "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
# Each filter of the search form: its parameter name, its label (Chinese, then English) and
# a hint of what it takes.
FILTERS = {
    "unit": ("单位 unit", "医务科"),
    "year": ("年份 year", "2025"),
    "kind": ("类型 kind", "plan / report / mixed"),
    "phase": ("阶段 phase", "宣传发动"),
    "indicator": ("指标 indicator", "满意度"),
    "target_kind": ("目标或实际 target kind", "target / actual"),
    "value": ("数值 value", ">=90"),
    "deadline_from": ("截止自 deadline from", "YYYY-MM-DD"),
    "deadline_to": ("截止至 deadline to", "YYYY-MM-DD"),
}
FACET_LABELS = {"unit": "单位 unit", "year": "年份 year", "kind": "类型 kind",
                "indicator": "指标 indicator"}
API_DOC = {
    "/api/search": {
        "parameters": {
            "q": "words to find (simplified or traditional, 1–64 characters)",
            "unit": "canonical unit name",
            "year": "integer",
            "kind": "plan | report | mixed",
            "phase": "part of a phase name",
            "indicator": "part of an indicator",
            "target_kind": "target | actual",
            "value": "comparator and number, e.g. >=90 (with indicator)",
            "deadline_from": "YYYY-MM-DD",
            "deadline_to": "YYYY-MM-DD",
            "limit": "hits per page (1–100, default 20)",
            "offset": "integer",
        },
        "returns": "{total, hits: [{source, doc_index, title, score, snippet, doc_id}], "
        "facets: {unit, year, kind, indicator: [{value, count}]}}",
    },
    "/api/doc/<doc_id>": {"returns": "the document's full record (the JSON contract)"},
}
STYLE = """
body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0;color:#222}
header{background:#1c3d5a;color:#fff;padding:.6em 1.2em}header a{color:#fff;text-decoration:none}
main{display:flex;gap:1.5em;padding:1em 1.2em}aside{width:16em;font-size:.9em}
aside h3{margin:.8em 0 .2em}aside a{display:block;color:#1c3d5a}
.hit{margin:0 0 1.1em}.hit a{font-size:1.05em}.src{color:#777;font-size:.85em}
mark{background:#ffe066}form input,form select{margin:.15em .3em .15em 0}
.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(13em,1fr));gap:.3em .8em;
margin:.5em 0}.filters label{display:flex;flex-direction:column;font-size:.85em;color:#444}
.filters input{width:100%;box-sizing:border-box;font-size:1rem}main>section{flex:1;min-width:0}
.text{white-space:pre-wrap;line-height:1.7;max-width:60em}
.m-date{background:#c5f6fa}.m-unit{background:#d3f9d8}.m-target{background:#ffd8a8}
.m-phase{background:#e5dbff}.legend span{padding:0 .4em;margin-right:.4em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em;vertical-align:top}
.error{background:#ffe3e3;padding:.6em;border:1px solid #fa5252}
.task.on{outline:2px solid #f08c00;background:#fff3bf}#tasks tr[data-task]{cursor:pointer}
#tasks tr.on{background:#fff3bf}
"""


def _filters(params: dict[str, str]) -> db.Filters:
    f = db.Filters()
    for name in (
        "unit",
        "kind",
        "phase",
        "indicator",
        "target_kind",
        "deadline_from",
        "deadline_to",
    ):
        setattr(f, name, params.get(name) or None)
    if params.get("year"):
        year = params["year"]
        if not (year.isascii() and year.isdigit() and 1000 <= int(year) <= 9999):
            raise db.QueryError(f"year must be a four-digit year, not {year!r}.")
        f.year = int(year)
    if params.get("value"):
        f.comparator, f.value = db.parse_value(params["value"])
    for name in ("deadline_from", "deadline_to"):
        value = getattr(f, name)
        if value and not _is_date(value):
            raise db.QueryError(f"{name} must be a date like 2025-06-30, not {value!r}.")
    return f


def _is_date(s: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) is not None


def _int(params: dict[str, str], name: str, default: int, hi: int) -> int:
    raw = params.get(name, "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise db.QueryError(f"{name} must be a whole number.")
    return max(0, min(int(raw), hi))


class Handler(BaseHTTPRequestHandler):
    database: db.Database
    server_version = "jihua"
    timeout = 30  # seconds a connection may sit idle before its thread is freed

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        self._send(405, "text/plain; charset=utf-8", b"read-only: GET only\n")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def do_GET(self) -> None:
        url = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        api = url.path.startswith("/api")
        try:
            return self._route(url.path, params, api)
        except db.QueryError as exc:
            return self._error(api, 400, str(exc))
        except (FileNotFoundError, ValueError) as exc:  # the database is gone or unreachable
            return self._error(api, 503, str(exc))
        except self.database.dialect.Error as exc:
            return self._error(api, 503, f"the database could not answer ({exc}).")
        except Exception as exc:  # a bug: say so, and keep serving
            return self._error(
                api,
                500,
                f"internal error ({type(exc).__name__}); please report the address you asked for.",
            )

    def _route(self, path: str, params: dict[str, str], api: bool) -> None:
        if path == "/api":
            return self._json(200, API_DOC)
        if path == "/api/search":
            return self._json(200, self._search(params))
        if path.startswith("/api/doc/"):
            record = self.database.document(unquote(path[len("/api/doc/") :]))
            if record is None:
                return self._error(True, 404, "no such document")
            return self._json(200, record)
        if path == "/":
            return self._html(200, self._search_page(params))
        if path.startswith("/doc/"):
            record = self.database.document(unquote(path[len("/doc/") :]))
            if record is None:
                return self._error(False, 404, "no such document")
            return self._html(200, document_page(record))
        return self._error(api, 404, f"nothing at {path}")

    def _search(self, params: dict[str, str]) -> dict[str, Any]:
        return self.database.search(
            params.get("q", ""),
            _filters(params),
            limit=_int(params, "limit", 20, 100) or 20,
            offset=_int(params, "offset", 0, 10**6),
        )

    def _search_page(self, params: dict[str, str]) -> str:
        error = None
        try:
            result = self._search(params) if params else None
        except db.QueryError as exc:
            result, error = None, str(exc)
        return search_page(params, result, error)

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, data: Any) -> None:
        self._send(
            code,
            "application/json; charset=utf-8",
            json.dumps(data, ensure_ascii=False).encode("utf-8"),
        )

    def _html(self, code: int, page: str) -> None:
        self._send(code, "text/html; charset=utf-8", page.encode("utf-8"))

    def _error(self, api: bool, code: int, message: str) -> None:
        if api:
            return self._json(code, {"error": message})
        return self._html(code, _page("error", f"<p class='error'>{html.escape(message)}</p>"))


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><a href='/'>jihua 计划</a> · {html.escape(title)}</header>{body}"
        "</body></html>"
    )


def search_page(params: dict[str, str], result: dict[str, Any] | None, error: str | None) -> str:
    e = html.escape
    q = params.get("q", "")
    fields = "".join(
        f"<label for='f-{n}'>{e(label)}<input name='{n}' id='f-{n}' placeholder='{e(hint)}' "
        f"value='{e(params.get(n, ''))}'></label>"
        for n, (label, hint) in FILTERS.items()
    )
    form = (
        f"<form action='/' method='get' id='search'><label for='q'>词语 words</label> "
        f"<input name='q' id='q' value='{e(q)}' placeholder='满意度, 保卫科, 第二季度…' size='30' "
        f"autofocus> <button type='submit'>搜索 search</button>"
        f"<div class='filters'>{fields}</div></form>"
    )
    parts = [form]
    if error:
        parts.append(f"<p class='error'>{e(error)}</p>")
    side = ""
    if result is not None:
        parts.append(f"<p id='total'>{result['total']} documents</p>")
        for h in result["hits"]:
            snippet = _safe_snippet(h["snippet"]) if h["snippet"] else ""
            score = f" · score {h['score']:.4g}" if h["score"] is not None else ""
            title = e(h["title"] or "(no title)")
            parts.append(
                f"<div class='hit'><a href='/doc/{quote(h['doc_id'])}'>{title}</a>"
                f"<div>{snippet}</div><div class='src'>{e(h['source'])} · "
                f"document {h['doc_index']}{score}</div></div>"
            )
        for name, values in result["facets"].items():
            side += f"<h3>{e(FACET_LABELS.get(name, name))}</h3>"
            for v in values:
                link = urlencode({**params, name: v["value"], "offset": 0})
                side += (
                    f"<a class='facet' data-facet='{e(name)}' href='/?{e(link)}'>"
                    f"{e(str(v['value']))} ({v['count']})</a>"
                )
    return _page("search", f"<main><aside>{side}</aside><section>{''.join(parts)}</section></main>")


def _safe_snippet(snippet: str) -> str:
    """Escape a snippet but keep the <mark> tags the index put in."""
    return (
        html.escape(snippet).replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")
    )


def _marked(text: str, base: int, record: dict[str, Any]) -> str:
    """``text`` (the document's characters) with its items in <mark class=…> and its tasks
    in <span class='task' data-task=…>, escaped."""
    tasks = sorted((k["span"][0] - base, k["span"][1] - base, k["id"])
                   for k in record.get("tasks", []))
    out, at = [], 0
    for s, t, task_id in tasks:
        if s < at or s >= t:
            continue
        out.append(_marked_items(text, base, record, at, s))
        out.append(f"<span class='task' data-task='{html.escape(task_id)}'>"
                   f"{_marked_items(text, base, record, s, t)}</span>")
        at = t
    out.append(_marked_items(text, base, record, at, len(text)))
    return "".join(out)


def _marked_items(text: str, base: int, record: dict[str, Any], lo: int, hi: int) -> str:
    """``text[lo:hi]`` with the items wholly inside it in <mark class=…>, escaped."""
    items = []
    for group, css in (
        ("dates", "m-date"),
        ("units", "m-unit"),
        ("targets", "m-target"),
        ("phases", "m-phase"),
    ):
        for it in record[group]:
            items.append((it["span"][0] - base, it["span"][1] - base, css, it["id"]))
    items.sort(key=lambda x: (x[0], x[1] - x[0]))
    out, at = [], lo
    for s, t, css, item_id in items:
        if s < at or s >= t or t > hi:
            continue  # overlaps a mark already placed, or crosses a task's edge
        out.append(html.escape(text[at:s]))
        out.append(
            f"<mark class='{css}' title='{html.escape(item_id)}'>{html.escape(text[s:t])}</mark>"
        )
        at = t
    out.append(html.escape(text[at:hi]))
    return "".join(out)


def year_label(year: int | None) -> str:
    """The year as a reader sees it: a plan with no stated year says so."""
    return f"年份 year {year}" if year is not None else "年份未注明 year unknown"


def document_page(record: dict[str, Any]) -> str:
    e = html.escape
    base = record["span"][0]
    original = record["text_original"]
    simplified = to_simplified(original)  # same length, so the same offsets
    outline = "".join(
        f"<li style='margin-left:{(s['level'] - 1) * 1.5}em'>{e(s['marker'])} "
        f"{e(s['heading'])} <span class='src'>[{e(s['kind'])}]</span></li>"
        for s in record["sections"]
    )
    tasks = _task_rows(record)
    meta = (
        f"{e(record['source']['path'])} · document {record['doc_index']} · "
        f"{e(record['kind'])} · {e(year_label(record['year']))}"
    )
    body = f"""
<main><aside><h3>outline</h3><ul style='padding-left:0;list-style:none'>{outline}</ul></aside>
<section><h2 id='title'>{e(record["title"] or "(no title)")}</h2><p class='src'>{meta}</p>
<p class='legend'><span class='m-phase'>phase</span><span class='m-date'>date</span>
<span class='m-unit'>unit</span><span class='m-target'>target</span>
<button id='toggle' onclick="for (const id of ['original','simplified'])
{{const el=document.getElementById(id); el.hidden=!el.hidden}}
this.textContent=document.getElementById('original').hidden?'原文 / original':'简体 / simplified'">
简体 / simplified</button></p>
<div class='text' id='original' lang='zh-Hant'>{_marked(original, base, record)}</div>
<div class='text' id='simplified' lang='zh-Hans' hidden>{_marked(simplified, base, record)}</div>
<h3>tasks</h3><table id='tasks'><tr><th>id</th><th>task</th><th>responsible</th>
<th>deadline</th><th>targets</th></tr>{tasks}</table></section></main>{TASK_SCRIPT}"""
    return _page(record["title"] or "document", body)


# a task row, clicked, lights its span in the text (both scripts) and scrolls to it
TASK_SCRIPT = """<script>
for (const row of document.querySelectorAll('#tasks tr[data-task]')) {
  row.addEventListener('click', () => {
    for (const el of document.querySelectorAll('.on')) el.classList.remove('on');
    row.classList.add('on');
    const spans = document.querySelectorAll(`.task[data-task="${row.dataset.task}"]`);
    for (const el of spans) el.classList.add('on');
    const shown = [...spans].find(el => el.offsetParent !== null);
    if (shown) shown.scrollIntoView({block: 'center'});
  });
}
</script>"""


def _task_rows(record: dict[str, Any]) -> str:
    """The task table's rows: text, units with their roles, deadline, targets."""
    e = html.escape
    units = {u["id"]: u["name"] for u in record["units"]}
    dates = {d["id"]: d for d in record["dates"]}
    targets = {t["id"]: t["text"] for t in record["targets"]}
    rows = []
    for k in record["tasks"]:
        roles = k.get("roles") or [{"unit": u, "role": "", "inherited": None}
                                   for u in k["responsible"]]
        who = "、".join(
            f"{units.get(r['unit'], r['unit'])}" + (f" ({r['role']})" if r["role"] else "")
            for r in roles)
        d = dates.get(k.get("deadline") or "")
        when = f"{d['text']} [{d['value']}]" if d else ""
        what = "; ".join(targets.get(t, t) for t in k["targets"])
        rows.append(f"<tr data-task='{e(k['id'])}'><td>{e(k['id'])}</td>"
                    f"<td>{e(k['text'][:120])}</td><td>{e(who)}</td><td>{e(when)}</td>"
                    f"<td>{e(what)}</td></tr>")
    return "".join(rows)


class Server(ThreadingHTTPServer):
    """The HTTP server and the database it reads; closing one closes both."""

    database: db.Database

    def server_close(self) -> None:
        super().server_close()
        self.database.close()


def make_server(target: str | Path, host: str = "127.0.0.1", port: int = 8000) -> Server:
    """A server for ``target``, a SQLite path or a PostgreSQL URL (not started: call
    ``serve_forever``). The database is opened now, read-only, so that a bad one fails with
    a clear message before the server listens."""
    database = db.open_database(target, read_only=True)
    handler = type("BoundHandler", (Handler,), {"database": database})
    try:
        server = Server((host, port), handler)
    except OSError:
        database.close()
        raise
    server.database = database
    return server
