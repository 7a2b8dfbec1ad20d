"""Fixtures for the integration tests: real server processes on free ports.

The binary under test comes from env POLIS_BIN (default
<repo>/build/asan/polis). It may also be a redis-server, which is how these
tests are validated: a test must pass against Redis 7.0 unless it is marked
`polis_only` (a deliberate polis difference), in which case it is skipped.

    polis:         polis server --port N --bind 127.0.0.1 --dir DIR [--name value ...]
    redis-server:  redis-server --port N --bind 127.0.0.1 --dir DIR --save '' --appendonly no [...]

Fixtures:
    server_factory(**config)  starts a server; config names use '_' or '-'
                              (proto_max_bulk_len=... -> --proto-max-bulk-len)
    server                    one server per test; extra config from
                              @pytest.mark.server_config(name=value, ...)
    r                         redis.Redis on `server` (decode_responses=False)
    redis_ref                 a session-wide real /usr/bin/redis-server, for
                              differential tests

At teardown each server gets SIGTERM (SIGKILL after 5 s). A polis process
must exit with status 0: under ASan/LSan a memory error or a leak makes it
exit non-zero, and the test then fails with the server's log shown.
"""

import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import redis

from resp_raw import RawClient

from polis_env import (IS_REDIS, POLIS_BIN, REDIS_BIN, SANITIZER_ENV,  # noqa: F401
                       answers_ping, binary_is_redis, free_port)

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
LOG_TAIL_LINES = 200


def config_args(config):
    args = []
    for name, value in config.items():
        args.append("--" + name.replace("_", "-"))
        args.append(str(value))
    return args


class ServerError(Exception):
    pass


class Server(object):
    """One server process. `binary` is polis or redis-server; `config` maps
    config names to values (passed as --name value)."""

    def __init__(self, binary, config=None, name="polis"):
        self.binary = binary
        self.is_redis = binary_is_redis(binary)
        self.config = dict(config or {})
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="polis-it-")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        self.port = None
        self.returncode = None
        self.start_failed = False
        self._raw_clients = []
        self._clients = []

    # ---- lifecycle -------------------------------------------------------

    def argv(self):
        argv = [self.binary]
        if not self.is_redis:
            argv.append("server")
        argv += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        if self.is_redis:
            argv += ["--save", "", "--appendonly", "no"]
        argv += config_args(self.config)
        return argv

    def start(self):
        last_error = None
        for _attempt in range(3):
            self.port = free_port()
            try:
                self._spawn_and_wait()
                return self
            except ServerError as e:
                last_error = e
                if "in use" not in self.log_text():
                    break
        raise last_error

    def _spawn_and_wait(self):
        env = dict(os.environ)
        for k, v in SANITIZER_ENV.items():
            env.setdefault(k, v)
        with open(self.log_path, "ab") as log:
            log.write(("$ %s\n" % " ".join(repr(a) if a == "" else a for a in self.argv())).encode())
            log.flush()
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.dir, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                raise ServerError("%s exited with status %s during startup\n%s"
                                  % (self.name, self.proc.returncode, self.log_tail()))
            if self._answers_ping():
                return
            time.sleep(0.05)
        self._kill()
        raise ServerError("%s did not answer PING within %.0f s\n%s"
                          % (self.name, START_TIMEOUT_S, self.log_tail()))

    def _answers_ping(self):
        return answers_ping(self.port)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid

    def wait_exit(self, timeout_s):
        """Waits for the process to exit on its own; returns its status or
        None if it is still running at the deadline."""
        try:
            self.returncode = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc is not None:
            self.returncode = self.proc.returncode

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT_S. Returns a problem
        description, or None if the process exited cleanly."""
        self._close_clients()
        if self.proc is None:
            return None
        problem = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._kill()
                problem = "did not exit within %.0f s of SIGTERM (killed)" % STOP_TIMEOUT_S
        self.returncode = self.proc.returncode
        if problem is None and self.returncode != 0:
            problem = "exited with status %s" % self.returncode
        return problem

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- clients ---------------------------------------------------------

    def client(self, **kw):
        """A redis.Redis connected to this server (bytes replies)."""
        kw.setdefault("decode_responses", False)
        kw.setdefault("socket_timeout", 30)
        kw.setdefault("socket_connect_timeout", 10)
        if "requirepass" in self.config:
            kw.setdefault("password", self.config["requirepass"])
        c = redis.Redis(host="127.0.0.1", port=self.port, **kw)
        self._clients.append(c)
        return c

    def raw(self, timeout_s=10.0):
        """A RawClient connected to this server; closed at teardown."""
        c = RawClient(self.port, timeout_s=timeout_s)
        self._raw_clients.append(c)
        return c

    def _close_clients(self):
        for c in self._raw_clients:
            c.close()
        self._raw_clients = []
        for c in self._clients:
            try:
                c.connection_pool.disconnect()
            except Exception:
                pass
        self._clients = []

    # ---- logs ------------------------------------------------------------

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=LOG_TAIL_LINES):
        text = self.log_text().splitlines()
        return "---- %s log (%s) ----\n%s" % (self.name, self.log_path, "\n".join(text[-lines:]))


# ---- pytest hooks ----------------------------------------------------------


def raise_open_files_limit(wanted=8192):
    """Tests open 1,000+ sockets at once; servers started from here inherit
    the raised limit too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def pytest_configure(config):
    raise_open_files_limit()
    config.addinivalue_line("markers", "polis_only: a deliberate polis difference; "
                            "skipped when POLIS_BIN is redis-server")
    config.addinivalue_line("markers", "server_config(**config): extra config "
                            "for the `server` fixture")


def pytest_collection_modifyitems(config, items):
    if not IS_REDIS:
        return
    skip = pytest.mark.skip(reason="polis_only (POLIS_BIN is redis-server)")
    for item in items:
        if "polis_only" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        for srv in getattr(item, "_polis_servers", []):
            rep.sections.append(("server log: %s port %s" % (srv.name, srv.port), srv.log_tail()))


# ---- fixtures --------------------------------------------------------------


@pytest.fixture
def server_factory(request):
    servers = []
    request.node._polis_servers = servers

    def start(**config):
        srv = Server(POLIS_BIN, config, name="server-%d" % len(servers))
        servers.append(srv)
        error = None
        try:
            srv.start()
        except (ServerError, OSError) as e:
            error = e
        if error is not None:
            srv.start_failed = True  # reported here, not again at teardown
            pytest.fail("cannot start %s: %s" % (POLIS_BIN, error), pytrace=False)
        return srv

    yield start

    problems = []
    for srv in servers:
        problem = srv.stop()
        if problem is not None and not srv.is_redis and not srv.start_failed:
            problems.append("%s %s\n%s" % (srv.name, problem, srv.log_tail()))
        if problem is None:
            srv.cleanup()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def cluster_factory(request):
    """Starts 3-node clusters (tests/integration/cluster_util.py) with the
    given settings; at teardown every node must exit cleanly (status 0,
    no sanitizer report)."""
    from cluster_util import Cluster, ClusterError  # it imports this module
    clusters = []
    request.node._polis_servers = []

    def make(wait="leader", zones=None, **config):
        c = Cluster(**config)
        for n, zone in zip(c.nodes, zones or ()):
            n.first_flags["zone"] = zone
        clusters.append(c)
        error = None
        try:
            c.start(wait=wait)
        except ClusterError as e:
            error = e
        request.node._polis_servers.extend(c.nodes)
        if error is not None:
            pytest.fail("cannot start the cluster: %s" % error, pytrace=False)
        return c

    yield make

    problems = []
    for c in clusters:
        found = c.shutdown()
        problems += found
        if not found:
            c.cleanup()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def server(request, server_factory):
    marker = request.node.get_closest_marker("server_config")
    config = dict(marker.kwargs) if marker else {}
    return server_factory(**config)


@pytest.fixture
def r(server):
    return server.client()


@pytest.fixture(scope="session")
def redis_ref():
    if not os.path.exists(REDIS_BIN):
        pytest.skip("reference %s not installed" % REDIS_BIN)
    srv = Server(REDIS_BIN, name="redis-ref")
    error = None
    try:
        srv.start()
    except (ServerError, OSError) as e:
        error = e
    if error is not None:
        pytest.fail("cannot start the reference %s: %s" % (REDIS_BIN, error), pytrace=False)
    yield srv
    srv.stop()
    srv.cleanup()
