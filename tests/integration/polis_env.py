"""What the test processes share: the binaries under test, the sanitizer
environment, free ports and a liveness probe.

A plain module (not conftest.py) so that helpers used from more than one
test directory (cluster_util from tests/chaos) import it by one name: each
directory's conftest.py is imported as module "conftest", and the first
one loaded would otherwise shadow the others.
"""

import os
import socket

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLIS_BIN = os.environ.get("POLIS_BIN") or os.path.join(REPO, "build", "asan", "polis")
REDIS_BIN = os.environ.get("POLIS_REDIS_REF_BIN", "/usr/bin/redis-server")

# Default sanitizer options when the tests are run outside `make`, matching
# the Makefile so a leak or memory error makes the process exit non-zero.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:strict_string_checks=1"
                    ":detect_stack_use_after_return=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def answers_ping(port):
    """True once a PING on 127.0.0.1:port gets any reply (+PONG, or -NOAUTH
    when a password is required)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.settimeout(1.0)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(256)
                if not chunk:
                    return False
                data += chunk
            return data.startswith(b"+PONG") or data.startswith(b"-NOAUTH")
    except OSError:
        return False


def binary_is_redis(path):
    return os.path.basename(path).startswith("redis-server")


IS_REDIS = binary_is_redis(POLIS_BIN)


def free_port():
    """A port that was free a moment ago. A race with another process is
    possible; Server.start() retries with a new port if the bind fails."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
