"""Workbooks are parsed in a child process with a memory cap and a time limit (SPEC §4
"No upload can hurt the service").

The container checks of :mod:`core.spreadsheet_guards` refuse the hostile files we know of
before python-calamine sees them; the child process is for the ones we do not: whatever the
file makes the parser do (allocate 64 GB and abort, panic, loop), only the child dies, and the
caller gets a file-level :class:`~core.spreadsheet.FileRejected` (a :class:`ParserDied`) while
the web worker or the CLI lives on.

Children are forked (the parser is already imported: a fork costs milliseconds, not an
interpreter start; the child touches nothing but the bytes it is sent and the pipe). Each child
sets its own limits before it reads a byte: ``RLIMIT_AS`` (its inherited address space plus
the budget), ``RLIMIT_CPU`` (CPU seconds) and no core file; the parent enforces the wall-clock
limit and kills the child when it is reached. The result comes back pickled and is read with an
unpickler that knows only the types a workbook holds.
"""

from __future__ import annotations

import faulthandler
import gc
import io
import multiprocessing
import os
import pickle
import resource
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.gc_pause import no_cyclic_gc
from core.msg import N_, Msg
from core.spreadsheet import FileRejected, FormulaCell, Limits, Workbook, read_workbook

TIMED_OUT = N_("文件处理超时（超过 %(seconds)s 秒），已拒绝；请删除多余的空行空列或分批上传")
OUT_OF_MEMORY = N_("文件处理所需内存超过上限（%(mb)s MB），已拒绝；请删除多余的空行空列或分批上传")
CRASHED_TEXT = N_("读取文件时解析程序异常退出，已拒绝；请用 Excel/WPS 重新保存后再上传")


@dataclass(frozen=True)
class SandboxLimits:
    #: address space the child may add to what it inherits (50,000 rows x 20 columns: ~300 MB)
    memory_mb: int = 1024
    cpu_seconds: int = 60
    #: below gunicorn's --timeout (README: 180), which would kill the whole worker
    wall_seconds: int = 90

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SandboxLimits:
        """The budget an app's configuration sets (``UPLOAD_PARSE_MEMORY_MB``,
        ``…_CPU_SECONDS``, ``…_SECONDS``; environment ``FLASK_UPLOAD_PARSE_…``)."""
        default = cls()
        return cls(
            memory_mb=int(config.get("UPLOAD_PARSE_MEMORY_MB", default.memory_mb)),
            cpu_seconds=int(config.get("UPLOAD_PARSE_CPU_SECONDS", default.cpu_seconds)),
            wall_seconds=int(config.get("UPLOAD_PARSE_SECONDS", default.wall_seconds)),
        )


class ParserDied(FileRejected):
    """The child process died, ran out of memory or time: the upload failed (file-level)."""


class _Outcome:
    OK, REJECTED, MEMORY = "ok", "rejected", "memory"


_ALLOWED_GLOBALS = {
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
}


class _Unpickler(pickle.Unpickler):
    """Only plain data and the datetime types a cell can hold."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


def _limit_self(limits: SandboxLimits) -> None:
    try:
        inherited = _address_space()
    except OSError:  # no /proc: the budget alone
        inherited = 0
    memory = inherited + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # a native abort prints a backtrace to stderr: the parent reports the death instead
    faulthandler.disable()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    os.environ["RUST_BACKTRACE"] = "0"


def _child(conn: Any, work: Callable[[bytes], Any], limits: SandboxLimits) -> None:
    try:
        _limit_self(limits)
        gc.disable()  # a short life building a million cells: no cycles worth collecting
        data = conn.recv_bytes()
        try:
            result: tuple[Any, ...] = (_Outcome.OK, work(data))
        except FileRejected as exc:
            message = exc.message
            params = message.params if isinstance(message, Msg) else {}
            msgid = message.msgid if isinstance(message, Msg) else str(message)
            result = (_Outcome.REJECTED, msgid, params, exc.status)
        except MemoryError:
            result = (_Outcome.MEMORY,)
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps((_Outcome.MEMORY,))
        conn.send_bytes(payload)
    finally:
        conn.close()


def run_isolated(
    work: Callable[[bytes], Any], data: bytes, limits: SandboxLimits | None = None
) -> Any:
    """``work(data)`` in a limited child process; its result must be plain data (lists,
    dicts, text, numbers, dates). A :class:`FileRejected` raised by ``work`` is raised here
    again; anything that kills the child becomes a :class:`ParserDied`."""
    return start_isolated(work, data, limits).result()


class Isolated:
    """``work(data)`` running in its limited child process (:func:`start_isolated`), while
    the caller does something else; :meth:`result` waits for it, :meth:`close` drops it."""

    def __init__(
        self, work: Callable[[bytes], Any], data: bytes, limits: SandboxLimits | None
    ) -> None:
        self.limits = limits or SandboxLimits()
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe(duplex=True)
        self._process = ctx.Process(target=_child, args=(child, work, self.limits), daemon=True)
        self._process.start()
        self._deadline = time.monotonic() + self.limits.wall_seconds
        child.close()
        self._sent = True
        try:
            self._conn.send_bytes(data)
        except OSError:  # the child died before it read the file: result() reports it
            self._sent = False

    def result(self) -> Any:
        try:
            try:
                if not self._sent:
                    raise EOFError
                ready = self._conn.poll(max(0.0, self._deadline - time.monotonic()))
                payload = self._conn.recv_bytes() if ready else None
            except (EOFError, OSError):  # the child died before or while answering
                payload = b""
            if payload is None:
                raise ParserDied(Msg(TIMED_OUT, seconds=self.limits.wall_seconds), 422)
            if not payload:
                self._process.join(5)
                raise _death(self._process.exitcode, self.limits)
            try:
                # a million new cells would trigger collection after collection
                with no_cyclic_gc():
                    result = _Unpickler(io.BytesIO(payload)).load()
            except (pickle.UnpicklingError, EOFError, ValueError) as exc:  # not what a child sends
                raise ParserDied(Msg(CRASHED_TEXT), 422) from exc
        finally:
            self.close()
        if result[0] == _Outcome.MEMORY:
            raise ParserDied(Msg(OUT_OF_MEMORY, mb=self.limits.memory_mb), 413)
        if result[0] == _Outcome.REJECTED:
            _, msgid, params, status = result
            raise FileRejected(Msg(msgid, **params), status)
        return result[1]

    def close(self) -> None:
        """End the child (if it still runs) and wait for it; idempotent."""
        self._conn.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def start_isolated(
    work: Callable[[bytes], Any], data: bytes, limits: SandboxLimits | None = None
) -> Isolated:
    """:func:`run_isolated` started now and answered later (its wall-clock limit runs from now)."""
    return Isolated(work, data, limits)


def _death(exitcode: int | None, limits: SandboxLimits) -> ParserDied:
    if exitcode is not None and exitcode < 0 and -exitcode in (signal.SIGXCPU, signal.SIGKILL):
        return ParserDied(Msg(TIMED_OUT, seconds=limits.cpu_seconds), 422)
    return ParserDied(Msg(CRASHED_TEXT), 422)


def _parse(data: bytes, limits: Limits, wanted: list[str] | None) -> tuple[Any, ...]:
    book = read_workbook(data, limits, wanted)
    formulas = [(f.sheet, f.ref) for f in book.formulas]
    _share_equal_values(book.sheets)
    return book.format, book.sheets, formulas, book.external_links


def _share_equal_values(sheets: dict[str, list[list[Any]]]) -> None:
    """Equal texts and dates become one object (in place): pickle then sends a repeated value
    as a reference to the first, which is smaller and several times faster to write and to
    read back than a new object per cell (a workbook repeats its dates, types and codes)."""
    pools: dict[type, dict[Any, Any]] = {str: {}, date: {}, datetime: {}}
    pool_of = pools.get
    for grid in sheets.values():
        for row in grid:
            for i, value in enumerate(row):
                pool = pool_of(value.__class__)
                if pool is not None:
                    row[i] = pool.setdefault(value, value)


class _Parse:
    """A picklable ``data -> plain tuple`` for the child (a lambda would not pickle)."""

    def __init__(self, limits: Limits, wanted: list[str] | None) -> None:
        self.limits = limits
        self.wanted = wanted

    def __call__(self, data: bytes) -> tuple[Any, ...]:
        return _parse(data, self.limits, self.wanted)


def read_workbook_isolated(
    data: bytes,
    limits: Limits,
    wanted: Iterable[str] | None = None,
    sandbox: SandboxLimits | None = None,
) -> Workbook:
    """:func:`core.spreadsheet.read_workbook` in a child process (the one way uploads are read)."""
    return start_workbook_read(data, limits, wanted, sandbox).result()


class WorkbookRead:
    """A workbook being read in its child process (:func:`start_workbook_read`)."""

    def __init__(
        self,
        data: bytes,
        limits: Limits,
        wanted: Iterable[str] | None,
        sandbox: SandboxLimits | None,
    ) -> None:
        self._data, self._limits = data, limits
        self._wanted = None if wanted is None else list(wanted)
        self._sandbox = sandbox or SandboxLimits()
        # no process for an empty file: result() answers it here
        parse = _Parse(limits, self._wanted)
        self._running = start_isolated(parse, data, self._sandbox) if data else None

    def serves(
        self,
        data: bytes,
        limits: Limits,
        wanted: Iterable[str] | None,
        sandbox: SandboxLimits | None,
    ) -> bool:
        """True when this read is the one :func:`start_workbook_read` would start now for
        these arguments: the same bytes, limits, sheets and budget (a read started before
        they were known is adopted only then)."""
        return (
            self._data == data
            and self._limits == limits
            and self._wanted == (None if wanted is None else list(wanted))
            and self._sandbox == (sandbox or SandboxLimits())
        )

    def result(self) -> Workbook:
        """The workbook, once the child has read it (FileRejected / ParserDied as it failed)."""
        if self._running is None:
            return read_workbook(self._data, self._limits, self._wanted)
        fmt, sheets, formulas, links = self._running.result()
        return Workbook(fmt, sheets, [FormulaCell(sheet, ref) for sheet, ref in formulas], links)

    def close(self) -> None:
        """Drop the read (the file was not needed after all); idempotent."""
        if self._running is not None:
            self._running.close()


def start_workbook_read(
    data: bytes,
    limits: Limits,
    wanted: Iterable[str] | None = None,
    sandbox: SandboxLimits | None = None,
) -> WorkbookRead:
    """:func:`read_workbook_isolated` started now, for the caller to do its own work while the
    child reads; :meth:`WorkbookRead.result` waits for the workbook."""
    return WorkbookRead(data, limits, wanted, sandbox)
