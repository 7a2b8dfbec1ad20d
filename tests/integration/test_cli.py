"""The polis command line: help, config file and flag precedence, start-up
errors, and `polis demo`. All polis-specific (redis-server has other flags)."""

import os
import signal
import socket
import subprocess
import time

import pytest
import redis

from polis_env import POLIS_BIN, SANITIZER_ENV, free_port

pytestmark = pytest.mark.polis_only

RUN_TIMEOUT_S = 20


def run(*args, **kw):
    env = dict(os.environ)
    for k, v in SANITIZER_ENV.items():
        env.setdefault(k, v)
    return subprocess.run([POLIS_BIN] + list(args), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, env=env, **kw)


def wait_for_port(port, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_main_help_lists_subcommands():
    out = run("--help")
    assert out.returncode == 0
    for word in ("polis server", "polis demo", "polis version"):
        assert word in out.stdout


def test_server_help_lists_every_setting():
    out = run("server", "--help")
    assert out.returncode == 0
    for setting in ("--port", "--bind", "--dir", "--requirepass", "--proto-max-bulk-len",
                    "--client-query-buffer-limit", "--client-output-buffer-limit",
                    "--maxclients", "--timeout", "--hz", "--loglevel", "--config"):
        assert setting in out.stdout, setting


def test_version():
    out = run("version")
    assert out.returncode == 0 and out.stdout.startswith("polis ")


def test_unknown_flag_and_bad_value_fail_clearly(tmp_path):
    out = run("server", "--no-such-setting", "1", "--dir", str(tmp_path))
    assert out.returncode == 1
    assert "unknown setting '--no-such-setting'" in out.stderr
    out = run("server", "--port", "notaport", "--dir", str(tmp_path))
    assert out.returncode == 1
    assert "bad value for --port" in out.stderr
    out = run("server", "--hz", "0", "--dir", str(tmp_path))
    assert out.returncode == 1
    assert "between 1 and 500" in out.stderr


def test_bad_config_file_names_file_and_line(tmp_path):
    conf = tmp_path / "polis.conf"
    conf.write_text("# comment\nport 7000\nnosuchthing 1\n")
    out = run("server", str(conf))
    assert out.returncode == 1
    assert "%s:3: unknown setting 'nosuchthing'" % conf in out.stderr
    out = run("server", "--config", str(tmp_path / "missing.conf"))
    assert out.returncode == 1
    assert "cannot open config file" in out.stderr


def test_config_file_and_flags_override_it(tmp_path):
    file_port, flag_port = free_port(), free_port()
    conf = tmp_path / "polis.conf"
    conf.write_text('# polis\nport %d\nrequirepass "s3cret"\nhz 20\n' % file_port)
    proc = subprocess.Popen([POLIS_BIN, "server", str(conf), "--port", str(flag_port),
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        assert wait_for_port(flag_port)
        r = redis.Redis(port=flag_port, password="s3cret", socket_timeout=5)
        assert r.ping()
        assert r.config_get("hz") == {"hz": "20"}
        assert r.config_get("port") == {"port": str(flag_port)}
        assert r.config_get("config_file") == {}
        info = r.info("server")
        assert info["config_file"] == str(conf)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=flag_port, socket_timeout=5).get("x")
        # CONFIG REWRITE writes the effective settings back; a restart from
        # the file alone then has them.
        r.config_set("hz", "30")
        assert r.config_rewrite()
        r.close()
    finally:
        assert stop(proc) == 0
    text = conf.read_text()
    assert "hz \"30\"" in text and "port \"%d\"" % flag_port in text


def test_sigint_and_sigterm_shut_down_cleanly(tmp_path):
    for sig in (signal.SIGINT, signal.SIGTERM):
        port = free_port()
        proc = subprocess.Popen([POLIS_BIN, "server", "--port", str(port), "--dir",
                                 str(tmp_path)], stderr=subprocess.PIPE, text=True)
        assert wait_for_port(port)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert "shutting down" in err and "bye" in err


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def demo_base_port():
    """A base port whose three client ports and three peer ports (+10000)
    are all free right now (other processes on the machine use ports too)."""
    for _ in range(200):
        port = free_port()
        ports = [port + i + off for i in range(3) for off in (0, 10000)]
        if all(p < 65536 for p in ports) and all(port_is_free(p) for p in ports):
            return port
    pytest.fail("no block of free ports for the demo")


def test_demo_starts_a_cluster_and_stops_on_ctrl_c(tmp_path):
    port = demo_base_port()
    proc = subprocess.Popen([POLIS_BIN, "demo", "--dir", str(tmp_path / "demo"), "--port",
                             str(port)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("polis demo: 3 nodes up, leader n"), line
        for i in range(3):
            assert "redis-cli -p %d" % (port + i) in proc.stdout.readline()
        a = redis.Redis(port=port, socket_timeout=10)
        b = redis.Redis(port=port + 1, socket_timeout=10)
        assert a.set("hello", "world")
        assert b.get("hello") == b"world"  # any node serves any key
        a.close()
        b.close()
        nodes = ",".join("127.0.0.1:%d" % (port + i) for i in range(3))
        status = run("cluster", "status", "--nodes", nodes)
        assert status.returncode == 0, status.stderr
        rows = status.stdout.splitlines()[1:]  # after the header
        assert sum(" leader " in row for row in rows) == 1, status.stdout
        assert sum(" follower " in row for row in rows) == 2, status.stdout
        assert sum("follower_" in row and "state=replicate" in row for row in rows) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    for i in (1, 2, 3):
        assert os.path.exists(tmp_path / "demo" / ("n%d.log" % i))
        log = (tmp_path / "demo" / ("n%d.log" % i)).read_text()
        assert "bye bye" in log and "Sanitizer" not in log, log[-2000:]
    for i in range(3):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port + i), timeout=0.5)
