#!/usr/bin/env python3
"""Manual check of a running durable-mcp-tasks server with the official MCP Python SDK.

Drives every tool the way its `execution.taskSupport` allows (plain for `forbidden`, as a task for
`required`, both for `optional`), checks that the refused ways are refused with -32601, validates
every result's `structuredContent` against the tool's `outputSchema` with the SDK's own validator,
and exercises tasks/get, tasks/result, tasks/list (every page), tasks/cancel and a purge whose
confirmation is answered from the client's elicitation callback.

Needs the SDK line that speaks MCP tasks 2025-11-25 (`ClientSession.experimental`; the 2.x line
dropped it):

    python3 -m venv /tmp/mcp-venv && /tmp/mcp-venv/bin/pip install 'mcp==1.30.0'
    /tmp/mcp-venv/bin/python test/clients/python-sdk-check.py http://127.0.0.1:3000/mcp

Dataset and import sources are served to the server from a throw-away HTTP server on 127.0.0.1
(the server must allow URL sources, the default). Exits 1 if any check fails.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import socketserver
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, types
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError

# The 1.x SDK marks its task API deprecated (tasks left the specification after 2025-11-25).
warnings.filterwarnings("ignore", category=DeprecationWarning)

TERMINAL = {"completed", "failed", "cancelled"}
RUN_TAG = f"pycheck-{uuid.uuid4().hex[:8]}"
DECLINE_TAG = f"{RUN_TAG}-declined"


class Report:
    """Collects pass/fail lines and prints them as they come."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.passes = 0

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        if ok:
            self.passes += 1
            print(f"  ok    {name}")
        else:
            self.failures.append(name)
            print(f"  FAIL  {name}: {detail}")
        return ok

    def info(self, text: str) -> None:
        print(f"  info  {text}")


def serve_sources(directory: Path) -> tuple[str, socketserver.TCPServer]:
    """Serves `directory` over HTTP on 127.0.0.1 so that URL sources need no access to DATA_DIR."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), QuietHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def write_sources(directory: Path) -> None:
    rows = ["city,temperature,rain"] + [f"{c},{t},{r}" for c, t, r in
                                        [("Oslo", 4.5, "yes"), ("Rome", 19, "no"), ("Oslo", 6, ""), ("Lima", 22.25, "no")]]
    (directory / "weather.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    imported = [
        {"id": f"{RUN_TAG}-1", "title": "Use PostgreSQL for the catalogue", "decision": "PostgreSQL 16",
         "tags": [RUN_TAG, "storage"], "createdAt": "2026-01-10T10:00:00Z"},
        {"id": f"{RUN_TAG}-2", "title": "Stop using PostgreSQL for the catalogue", "decision": "Revert to SQLite",
         "tags": [RUN_TAG, "storage"], "createdAt": "2026-03-02T10:00:00Z"},
        "this line is not JSON",
    ]
    (directory / "decisions.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in imported) + "\n", encoding="utf-8")


def tool_arguments(base_url: str) -> dict[str, dict[str, Any]]:
    return {
        "long_running_operation": {"duration": 1, "steps": 2},
        "analyze_dataset": {"source": f"{base_url}/weather.csv"},
        "record_decision": {"title": "Adopt the Python check", "decision": "Run it before a release",
                            "rationale": "An outside client sees what users see", "tags": [RUN_TAG.upper(), " python "]},
        "get_recent_decisions": {"limit": 5, "tag": RUN_TAG},
        "import_decisions": {"source": f"{base_url}/decisions.jsonl"},
        "analyze_decision_patterns": {"bucket": "month"},
        "export_memory": {"format": "jsonl"},
        "purge_decisions": {"tag": RUN_TAG},
        "describe_task_limits": {},
    }


class Elicitations:
    """Answers purge confirmations as `answer_action` says (accept, decline, or first an invalid answer); records each."""

    def __init__(self) -> None:
        self.questions: list[types.ElicitRequestParams] = []
        self.answer_action: str = "accept"

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.questions.append(params)
        if self.answer_action == "invalid-then-accept":
            self.answer_action = "accept"
            return types.ElicitResult(action="accept", content={"confirmed": "yes"})
        if self.answer_action == "accept":
            return types.ElicitResult(action="accept", content={"confirmed": True})
        return types.ElicitResult(action="decline")


def error_code(exc: BaseException) -> int | None:
    return exc.error.code if isinstance(exc, McpError) else None


async def run_task(session: ClientSession, report: Report, name: str, arguments: dict[str, Any],
                   *, poll: bool = True, ttl: int = 600_000) -> tuple[types.GetTaskResult | None, types.CallToolResult | None]:
    """Creates a task, polls tasks/get until it is terminal or waits on input (when `poll`), then reads tasks/result."""
    created = await session.experimental.call_tool_as_task(name, arguments, ttl=ttl)
    task = created.task
    report.check(f"{name}: task created ({task.status}, ttl {task.ttl}, pollInterval {task.pollInterval})",
                 task.status in ("working", "input_required", "completed") and task.pollInterval is not None, task)
    last: types.GetTaskResult | None = None
    if poll:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            last = await session.experimental.get_task(task.taskId)
            if last.status in TERMINAL or last.status == "input_required":
                break
            await anyio.sleep((last.pollInterval or 500) / 1000)
        report.check(f"{name}: tasks/get reached {last.status if last else None}",
                     last is not None and last.taskId == task.taskId and last.createdAt == task.createdAt, last)
    result = await session.experimental.get_task_result(task.taskId, types.CallToolResult)
    related = (result.meta or {}).get("io.modelcontextprotocol/related-task", {})
    report.check(f"{name}: tasks/result carries the related-task _meta", related.get("taskId") == task.taskId, result.meta)
    final = await session.experimental.get_task(task.taskId)
    return final, result


async def validate(session: ClientSession, report: Report, label: str, name: str, result: types.CallToolResult) -> None:
    """The SDK's own structuredContent check (call_tool runs it; task results are checked the same way here)."""
    if result.isError:
        report.check(f"{label}: not an error", False, result.content)
        return
    try:
        await session._validate_tool_result(name, result)  # the exact check ClientSession.call_tool makes
        report.check(f"{label}: structuredContent matches outputSchema", True)
    except Exception as exc:  # noqa: BLE001 - any validation failure is the defect being looked for
        report.check(f"{label}: structuredContent matches outputSchema", False, exc)


async def check_tools(session: ClientSession, report: Report, base_url: str, elicitations: Elicitations) -> list[str]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    while True:
        page = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
        tools.extend(page.tools)
        cursor = page.nextCursor
        if not cursor:
            break
    report.check(f"tools/list: {len(tools)} tools", len(tools) > 0)
    arguments = tool_arguments(base_url)
    support = {t.name: (t.execution.taskSupport if t.execution else None) for t in tools}
    for tool in tools:
        report.check(f"{tool.name}: execution.taskSupport declared ({support[tool.name]})", support[tool.name] is not None)
        report.check(f"{tool.name}: has a description", bool(tool.description))
        report.check(f"{tool.name}: arguments known to this check", tool.name in arguments)

    # Order matters: decisions are recorded and imported before they are analysed, exported and purged.
    order = ["describe_task_limits", "long_running_operation", "analyze_dataset", "record_decision",
             "import_decisions", "get_recent_decisions", "analyze_decision_patterns", "export_memory", "purge_decisions"]
    names = [n for n in order if n in support] + [n for n in support if n not in order and n in arguments]
    task_ids: list[str] = []
    for name in names:
        args = arguments[name]
        mode = support[name] or "forbidden"
        if mode in ("forbidden", "optional"):
            progress: list[float] = []

            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                progress.append(value)

            try:
                result = await session.call_tool(name, args, read_timeout_seconds=timedelta(seconds=300),
                                                 progress_callback=on_progress)
                report.check(f"{name}: plain call validated by ClientSession.call_tool", not result.isError, result.content)
                if name == "long_running_operation":
                    report.info(f"{name}: {len(progress)} progress notifications on a plain call")
            except Exception as exc:  # noqa: BLE001
                report.check(f"{name}: plain call validated by ClientSession.call_tool", False, repr(exc))
        else:
            try:
                result = await session.call_tool(name, args)
                report.check(f"{name}: plain call of a task-required tool is refused with -32601", False, result)
            except McpError as exc:
                report.check(f"{name}: plain call of a task-required tool is refused with -32601",
                             error_code(exc) == -32601, exc.error)
        if mode in ("required", "optional"):
            final, result = await run_task(session, report, name, args, poll=name != "purge_decisions")
            if final is not None:
                task_ids.append(final.taskId)
                report.check(f"{name}: task completed", final.status == "completed", final)
            if result is not None:
                await validate(session, report, f"{name} (task)", name, result)
                if name == "export_memory":
                    links = [c for c in result.content if isinstance(c, types.ResourceLink)]
                    report.check("export_memory: result has a resource_link", len(links) == 1, result.content)
                if name == "purge_decisions":
                    report.check("purge_decisions: the confirmation arrived through the elicitation callback",
                                 len(elicitations.questions) == 1, elicitations.questions)
                    if elicitations.questions:
                        report.info(f"question: {elicitations.questions[0].message!r}")
                    deleted = (result.structuredContent or {}).get("deleted")
                    report.check("purge_decisions: deleted the three decisions of this run", deleted == 3, result.structuredContent)
        else:
            try:
                created = await session.experimental.call_tool_as_task(name, args)
                report.check(f"{name}: task call of a task-forbidden tool is refused with -32601", False, created)
            except McpError as exc:
                report.check(f"{name}: task call of a task-forbidden tool is refused with -32601",
                             error_code(exc) == -32601, exc.error)

    if "purge_decisions" in support and "record_decision" in support:
        await session.call_tool("record_decision", {"title": "Keep me", "decision": "kept", "tags": [DECLINE_TAG]})
        elicitations.answer_action = "decline"
        final, result = await run_task(session, report, "purge_decisions", {"tag": DECLINE_TAG},
                                       poll=False)
        if result is not None:
            await validate(session, report, "purge_decisions (declined)", "purge_decisions", result)
            report.check("purge_decisions (declined): deletes nothing",
                         (result.structuredContent or {}).get("deleted") == 0, result.structuredContent)
        kept = await session.call_tool("get_recent_decisions", {"tag": DECLINE_TAG})
        report.check("purge_decisions (declined): the decision is still there",
                     len((kept.structuredContent or {}).get("decisions", [])) == 1, kept.structuredContent)
        # An answer that breaks the question's schema is refused and the question asked again, saying why.
        elicitations.questions.clear()
        elicitations.answer_action = "invalid-then-accept"
        final, result = await run_task(session, report, "purge_decisions", {"tag": DECLINE_TAG}, poll=False)
        messages = [q.message for q in elicitations.questions]
        report.check("purge_decisions (invalid answer): asked again with the reason in front",
                     len(messages) == 2 and messages[1] != messages[0] and messages[1].endswith(messages[0]), messages)
        if result is not None:
            report.check("purge_decisions (invalid answer, then confirmed): deleted the one decision",
                         (result.structuredContent or {}).get("deleted") == 1, result.structuredContent)
        gone = await session.call_tool("get_recent_decisions", {"tag": RUN_TAG})
        report.check("purge_decisions (confirmed): the purged decisions are gone",
                     (gone.structuredContent or {}).get("decisions") == [], gone.structuredContent)
    return task_ids


async def list_every_task(session: ClientSession) -> tuple[list[str], int]:
    """Follows tasks/list's cursor to the end: the task ids in order, and how many pages it took."""
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while pages < 50:
        page = await session.experimental.list_tasks(cursor)
        pages += 1
        seen.extend(t.taskId for t in page.tasks)
        cursor = page.nextCursor
        if not cursor:
            break
    return seen, pages


async def check_task_operations(session: ClientSession, report: Report, earlier: list[str]) -> None:
    # tasks/cancel on a running task
    created = await session.experimental.call_tool_as_task("long_running_operation", {"duration": 120, "steps": 120},
                                                          ttl=600_000)
    task_id = created.task.taskId
    deadline = time.monotonic() + 60
    status = await session.experimental.get_task(task_id)
    while status.status != "working" and time.monotonic() < deadline:
        await anyio.sleep(0.2)
        status = await session.experimental.get_task(task_id)
    cancelled = await session.experimental.cancel_task(task_id)
    report.check("tasks/cancel answers the task as cancelled", cancelled.status == "cancelled", cancelled)
    after = await session.experimental.get_task(task_id)
    report.check("tasks/get after tasks/cancel says cancelled", after.status == "cancelled", after)
    try:
        again = await session.experimental.cancel_task(task_id)
        report.check("tasks/cancel of a cancelled task is refused with -32602", False, again)
    except McpError as exc:
        report.check("tasks/cancel of a cancelled task is refused with -32602", error_code(exc) == -32602, exc.error)
    try:
        outcome = await session.experimental.get_task_result(task_id, types.CallToolResult)
        report.info(f"tasks/result of the cancelled task: isError={outcome.isError} {outcome.content}")
    except McpError as exc:
        report.info(f"tasks/result of the cancelled task: error {exc.error.code} {exc.error.message}")

    # a task that fails, and arguments that are refused before any task exists
    final, result = await run_task(session, report, "analyze_dataset", {"source": "no-such-file.csv"})
    report.check("analyze_dataset of a missing file: the task failed, naming the file",
                 final is not None and final.status == "failed" and "no-such-file.csv" in (final.statusMessage or ""), final)
    report.check("analyze_dataset of a missing file: tasks/result is an error result",
                 result is not None and result.isError is True, result)
    for label, call in [("as a task", session.experimental.call_tool_as_task), ("plainly", session.call_tool)]:
        try:
            await call("long_running_operation", {"duration": -1})
            report.check(f"bad arguments {label} are refused with -32602", False)
        except McpError as exc:
            report.check(f"bad arguments {label} are refused with -32602",
                         error_code(exc) == -32602 and "duration" in exc.error.message, exc.error)

    # unknown task ids
    for label, call in [("tasks/get", session.experimental.get_task), ("tasks/cancel", session.experimental.cancel_task)]:
        try:
            await call("no-such-task")
            report.check(f"{label} of an unknown task is refused with -32602", False)
        except McpError as exc:
            report.check(f"{label} of an unknown task is refused with -32602", error_code(exc) == -32602, exc.error)

    # tasks/list: enough tasks for more than one page of the default size (20)
    extra = []
    for _ in range(21):
        made = await session.experimental.call_tool_as_task("long_running_operation", {"duration": 0, "steps": 1})
        extra.append(made.task.taskId)
    expected = set(earlier) | set(extra) | {task_id}
    started = time.monotonic()
    seen, pages = await list_every_task(session)
    report.check(f"tasks/list: {len(seen)} tasks over {pages} pages, none twice", len(seen) == len(set(seen)) and pages > 1,
                 seen)
    missing = lagging = expected - set(seen)
    # tasks/list reads Temporal's visibility store, which may lag a moment behind a task's creation.
    while missing and time.monotonic() - started < 10:
        await anyio.sleep(0.1)
        missing = expected - set((await list_every_task(session))[0])
    report.check("tasks/list: every task of this session is listed", not missing, missing)
    if lagging and not missing:
        report.info(f"tasks/list showed {len(lagging)} just-created task(s) only after "
                    f"{time.monotonic() - started:.2f} s (visibility lag)")
    for made in extra:
        got = await session.experimental.get_task(made)
        if got.status not in TERMINAL:
            async for got in session.experimental.poll_task(made):
                pass
        if got.status != "completed":
            report.check("tasks/list: each zero-length task completes", False, got)
            break
    else:
        report.check("tasks/list: each zero-length task completes", True)


async def check_other_session(url: str, report: Report, task_id: str) -> None:
    """A task belongs to the session that created it: another session sees it nowhere."""
    async with streamablehttp_client(url, timeout=60) as (read, write, _):
        async with ClientSession(read, write) as other:
            await other.initialize()
            for label, call in [("tasks/get", other.experimental.get_task), ("tasks/cancel", other.experimental.cancel_task)]:
                try:
                    await call(task_id)
                    report.check(f"{label} of another session's task is refused with -32602", False)
                except McpError as exc:
                    report.check(f"{label} of another session's task is refused with -32602",
                                 error_code(exc) == -32602, exc.error)
            listed = await other.experimental.list_tasks()
            report.check("tasks/list of another session is empty", listed.tasks == [], listed)


async def main(url: str) -> int:
    report = Report()
    elicitations = Elicitations()
    notifications: Counter[str] = Counter()

    async def count_notifications(message: Any) -> None:
        if isinstance(message, types.ServerNotification):
            notifications[message.root.method] += 1
    with tempfile.TemporaryDirectory() as directory:
        write_sources(Path(directory))
        base_url, source_server = serve_sources(Path(directory))
        try:
            async with streamablehttp_client(url, timeout=60, sse_read_timeout=600) as (read, write, _):
                async with ClientSession(read, write, elicitation_callback=elicitations,
                                         message_handler=count_notifications) as session:
                    init = await session.initialize()
                    report.check(f"initialize: protocol {init.protocolVersion}", init.protocolVersion == "2025-11-25",
                                 init.protocolVersion)
                    tasks_capability = init.capabilities.tasks
                    report.check("initialize: tasks capability (list, cancel, tools/call)",
                                 tasks_capability is not None and tasks_capability.list is not None
                                 and tasks_capability.cancel is not None and tasks_capability.requests is not None
                                 and tasks_capability.requests.tools is not None, tasks_capability)
                    task_ids = await check_tools(session, report, base_url, elicitations)
                    await check_task_operations(session, report, task_ids)
                    await check_other_session(url, report, task_ids[0])
                    report.info(f"notifications received: {dict(notifications)}")
        finally:
            source_server.shutdown()
    print(f"{report.passes} passed, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} <MCP URL, e.g. http://127.0.0.1:3000/mcp>")
    sys.exit(asyncio.run(main(sys.argv[1])))
