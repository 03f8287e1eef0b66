"""Processes and throwaway storage for one bench run: `serve`, `worker`, the baseline, fresh
SQLite files and PostgreSQL databases, a private Redis prefix — all removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# Platform credentials are cleared: both channels run in sandbox mode, signed with our secret.
_CLEARED = (
    "ZALO_APP_ID",
    "ZALO_APP_SECRET",
    "ZALO_OA_ID",
    "ZALO_OA_SECRET_KEY",
    "ZALO_OA_ACCESS_TOKEN",
    "ZALO_OA_REFRESH_TOKEN",
    "FB_APP_SECRET",
    "FB_VERIFY_TOKEN",
    "FB_PAGE_ID",
    "FB_PAGE_ACCESS_TOKEN",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (from /proc/<pid>/stat)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of a live process, in kB, from /proc."""
    out: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            out[name] = int(rest.split()[0])
    return out


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (`serve`'s SQLite writer), from /proc."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def main_thread_schedstat(pid: int) -> tuple[float, float]:
    """Seconds the process's main thread has run on a CPU and waited for one (runnable but
    not running), from /proc/<pid>/task/<pid>/schedstat; (0, 0) where that is missing.

    Wall time minus both is the time the thread slept: an event loop asleep under load
    waits on something (the database, another thread, the load generator), and no cut in
    CPU per request makes it faster.
    """
    try:
        ran, waited, _ = Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(ran) / 1e9, int(waited) / 1e9


class Proc:
    """A child process with its output in a log file (a full pipe would stall it)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self._fh = log.open("wb")
        # cwd is the log's (temp) folder: a developer's `.env` in the checkout stays out.
        self.popen = subprocess.Popen(
            args, env=env, cwd=log.parent, stdout=self._fh, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def memory_kb(self) -> dict[str, int]:
        return memory_kb(self.pid)

    def children_memory_kb(self) -> dict[str, int]:
        """VmHWM and VmRSS of the process's children, summed (its SQLite writer)."""
        total: dict[str, int] = {}
        for child in children(self.pid):
            for key, value in memory_kb(child).items():
                total[key] = total.get(key, 0) + value
        return total

    def cpu_seconds(self) -> float:
        """The process's CPU time and its live children's: the work of `serve` includes
        that of the SQLite writer it started."""
        return cpu_seconds(self.pid) + sum(cpu_seconds(c) for c in children(self.pid))

    def own_cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def schedstat(self) -> tuple[float, float]:
        return main_thread_schedstat(self.pid)

    def wait_http(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.tail()}")

    def wait_log(self, text: str, timeout: float = 120.0) -> None:
        """Until `text` shows in the process's log (it is still running)."""
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no {text!r} after {timeout}s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _signal_children(self, sig: signal.Signals) -> None:
        """`serve`'s children (its SQLite writer) go along with it: stopped, resumed, killed."""
        for child in children(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, sig)

    def pause(self) -> None:
        """SIGSTOP: while the baseline has its turn, this process's leftover work (a backlog
        being handled) must neither slow the baseline down nor get done off the clock."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGSTOP)
            self._signal_children(signal.SIGSTOP)

    def resume(self) -> None:
        if self.popen.poll() is None:
            self._signal_children(signal.SIGCONT)
            self.popen.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: the backlog dies with the throwaway database; nothing to drain."""
        if self.popen.poll() is None:
            self._signal_children(signal.SIGKILL)
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()
        self._fh.close()


def bot_env(
    data_dir: Path,
    database_url: str,
    *,
    port: int,
    secret: str,
    redis_url: str = "",
    redis_prefix: str = "zlb:",
) -> dict[str, str]:
    """The environment of `serve`/`worker`: sandbox mode (no platform credentials)."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update({name: "" for name in _CLEARED})
    env.update(
        APP_HOST="127.0.0.1",
        APP_PORT=str(port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        REDIS_PREFIX=redis_prefix,
        CONTENT_PATH=str(ROOT / "config" / "content.yaml"),
        SANDBOX_SECRET=secret,
        PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_bot(args: list[str], env: dict[str, str], log: Path) -> None:
    """A one-shot `python -m bot …` (e.g. `db upgrade`); raise with its output on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=log.parent,
        capture_output=True,
        timeout=120,
    )
    log.write_bytes(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"python -m bot {' '.join(args)} failed:\n{log.read_text()[-2000:]}")


class Spy:
    """`py-spy record` attached to a running process; collapsed stacks, one line per stack
    with its sample count (`flamegraph.pl` or speedscope read them)."""

    def __init__(self, pid: int, out: Path, rate: int = 200) -> None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        out.parent.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.popen = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
             "--output", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        """Stop sampling; py-spy writes the file on SIGINT."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()


def start_bot(name: str, command: str, env: dict[str, str], log: Path) -> Proc:
    return Proc(name, [sys.executable, "-m", "bot", command], env, log)


class Postgres:
    """Fresh databases cloned from one migrated template, all dropped by `close()`."""

    def __init__(self, admin_url: str = PG_ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.base = admin_url.rsplit("/", 1)[0]
        self.tag = "bench_" + secrets.token_hex(4)
        self.template = f"{self.tag}_tmpl"
        self.created: list[str] = []
        self._n = 0

    async def _exec(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.admin_url, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    async def available(self) -> bool:
        try:
            await self._exec("SELECT 1")
        except Exception:
            return False
        return True

    async def prepare(self, env: dict[str, str], log: Path) -> None:
        """Create the template and migrate it with the project's own `db upgrade`."""
        await self._exec(f'CREATE DATABASE "{self.template}"')
        self.created.append(self.template)
        await asyncio.to_thread(
            run_bot, ["db", "upgrade"], {**env, "DATABASE_URL": self.url(self.template)}, log
        )

    async def fresh(self) -> str:
        self._n += 1
        name = f"{self.tag}_{self._n}"
        await self._exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self.url(name)

    async def close(self) -> None:
        for name in reversed(self.created):
            try:
                await self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # keep dropping the others
                print(f"bench: could not drop database {name}: {exc}", file=sys.stderr)
        self.created.clear()


class SqliteFiles:
    """Fresh SQLite files copied from one migrated template."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.sqlite3"
        self._n = 0

    def prepare(self, env: dict[str, str], log: Path) -> None:
        run_bot(["db", "upgrade"], {**env, "DATABASE_URL": f"sqlite://{self.template}"}, log)

    def fresh(self) -> str:
        self._n += 1
        path = self.root / f"run{self._n}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite://{path}"


async def redis_available(url: str = REDIS_URL) -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def redis_cleanup(prefix: str, url: str = REDIS_URL) -> int:
    """Delete this run's keys only (never a flush): the prefix, also inside arq's names."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    removed = 0
    try:
        for pattern in (f"{prefix}*", f"arq:*{prefix}*"):
            async for key in client.scan_iter(match=pattern, count=1000):
                removed += await client.delete(key)
    finally:
        await client.aclose()
    return removed
