"""A polis cluster for chaos runs: real processes, each on its own loopback
address, and the firewall that partitions them.

Every node binds its client and peer ports on its own address
127.<a>.<b>.<10+i> (one random <a>.<b> per cluster, so that concurrent runs
never share an address), and dials its peers from that address too. A
partition is then a set of nftables rules "drop packets from address X to
address Y" in a table of our own, hooked on input: clients, which connect
from 127.0.0.1, are never cut off, only nodes from each other.

Every wait has a deadline and every socket a timeout. The table is deleted
when the run ends (and tables left by runs whose process is gone are
deleted when the next one starts).
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time

from cluster_util import SANITIZER_MARKERS, parse_info, wait_until
from cluster_util import ClusterError as ChaosError
from polis_env import SANITIZER_ENV
from resp_raw import ConnectionClosed, RawClient, RespError

CLIENT_PORT = 7379
PEER_PORT = 17379
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0


def port_free(addr, port):
    s = socket.socket()
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Node(object):
    """One node: a process per start, a data directory, a log file."""

    def __init__(self, cluster, node_id, addr):
        self.cluster = cluster
        self.id = node_id
        self.name = "n%d" % node_id
        self.addr = addr
        self.dir = os.path.join(cluster.root, self.name)
        self.log_path = os.path.join(cluster.root, self.name + ".log")
        os.makedirs(self.dir)
        self.proc = None
        self.started_once = False
        self.killed = False  # the current process was SIGKILLed
        self.paused = False  # SIGSTOPped
        self.first_flags = {}  # more node flags for the first start (a joining node)

    def argv(self):
        argv = [self.cluster.polis_bin, "server", "--bind", self.addr, "--port",
                str(CLIENT_PORT), "--dir", self.dir]
        cfg = dict(self.cluster.config)
        if not self.started_once:
            cfg["node-id"] = self.id
            cfg["peers"] = self.cluster.peers_spec()
            cfg.update(self.first_flags)
        for k, v in cfg.items():
            argv += ["--" + k, str(v)]
        return argv

    def start(self):
        if self.alive():
            raise ChaosError("%s is already running" % self.name)
        env = dict(os.environ)
        for k, v in SANITIZER_ENV.items():
            env.setdefault(k, v)
        argv = self.argv()
        with open(self.log_path, "ab") as log:
            log.write(("$ %s\n" % " ".join(argv)).encode())
            log.flush()
            # Its own session: a SIGSTOPped node must not be in the harness's
            # process group, where the kernel sends SIGHUP to stopped members
            # when the group is orphaned (seen: a paused node killed by SIGHUP
            # when the shell that started the campaign exited).
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=self.dir, env=env,
                                         start_new_session=True)
        self.killed = self.paused = False
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ChaosError("%s exited with status %s during startup"
                                 % (self.name, self.proc.returncode))
            if self.answers():
                self.started_once = True
                return
            time.sleep(0.05)
        raise ChaosError("%s did not answer PING within %.0f s" % (self.name, START_TIMEOUT_S))

    def answers(self):
        try:
            with RawClient(CLIENT_PORT, host=self.addr, timeout_s=1.0) as c:
                c.value("PING")
            return True
        except (OSError, ConnectionClosed, ValueError):
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def up(self):
        """Running and not paused: able to answer."""
        return self.alive() and not self.paused

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.killed = True
        self.paused = False

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.alive():
            self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def stop(self):
        """SIGCONT + SIGTERM; returns a problem string or None. A node that
        was not killed must exit 0 (under ASan a leak or memory error makes
        the status non-zero)."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        self.resume()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return "%s did not exit within %.0f s of SIGTERM" % (self.name, STOP_TIMEOUT_S)
        return None if rc == 0 else "%s exited with status %s after SIGTERM" % (self.name, rc)

    def exit_problem(self):
        """A process that died by itself (not killed by us)."""
        if self.proc is None or self.killed or self.proc.poll() is None:
            return None
        return "%s exited by itself with status %s" % (self.name, self.proc.returncode)

    def call(self, *args, timeout_s=5.0):
        with RawClient(CLIENT_PORT, host=self.addr, timeout_s=timeout_s) as c:
            return c.value(*args)

    def info(self):
        reply = self.call("INFO", "replication", timeout_s=2.0)
        if isinstance(reply, RespError):
            raise ChaosError("%s INFO: %r" % (self.name, reply))
        return parse_info(reply)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


class Cluster(object):
    """N nodes under `root`; config: polis settings for every start."""

    def __init__(self, root, polis_bin, size=3, config=None, rng=None):
        rng = rng or random.Random()
        self.root = root
        self.polis_bin = polis_bin
        self.config = dict(config or {})
        os.makedirs(root, exist_ok=True)
        for _ in range(50):
            prefix = "127.%d.%d." % (rng.randrange(1, 255), rng.randrange(1, 255))
            addrs = [prefix + str(10 + i) for i in range(1, size + 1)]
            if all(port_free(a, CLIENT_PORT) and port_free(a, PEER_PORT) for a in addrs):
                break
        else:
            raise ChaosError("no free loopback addresses for %d nodes" % size)
        self.prefix = prefix
        self.nodes = [Node(self, i + 1, a) for i, a in enumerate(addrs)]
        self.joined = []  # nodes added while running (the membership nemesis)

    def join_node(self):
        """Starts a node with a new id that joins the running cluster
        (cluster-join) and adds it to the map through an up node."""
        node_id = len(self.nodes) + len(self.joined) + 1
        if node_id > 200:
            raise ChaosError("too many joined nodes")
        n = Node(self, node_id, self.prefix + str(10 + node_id))
        via = [m for m in self.up()]
        if not via:
            raise ChaosError("no node up to join through")
        info = parse_info(via[0].call("CLUSTER", "INFO", timeout_s=5.0))
        peers = ",".join("%d=%s:%d" % (m.id, m.addr, PEER_PORT)
                         for m in self.nodes + self.joined if m.alive())
        n.first_flags = {"cluster-join": "yes", "cluster-id": info["cluster_id"],
                         "peers": peers + ",%d=%s:%d" % (n.id, n.addr, PEER_PORT)}
        self.joined.append(n)
        n.start()
        # Other faults go on meanwhile: an answer that the change may not
        # have been made is asked again (ADDNODE of a node already in is OK),
        # through any node that answers, for up to 30 s.
        deadline = time.monotonic() + 30.0
        attempt = 0
        while True:
            asked = self.up() or via
            attempt += 1
            try:
                reply = asked[attempt % len(asked)].call(
                    "CLUSTER", "ADDNODE", n.id, "%s:%d" % (n.addr, CLIENT_PORT),
                    "%s:%d" % (n.addr, PEER_PORT), timeout_s=10.0)
            except (OSError, ConnectionClosed) as e:
                reply = RespError(("TRYAGAIN no answer: %r" % e).encode())
            if reply == b"OK":
                return n
            retry = isinstance(reply, RespError) and \
                reply.text.startswith((b"TRYAGAIN", b"CLUSTERDOWN"))
            if not retry or time.monotonic() >= deadline:
                raise ChaosError("ADDNODE %s: %r" % (n.name, reply))
            time.sleep(0.5)

    def in_map(self, node_id):
        """Whether an up node's CLUSTER NODES still lists the node."""
        name = ("%040x" % node_id).encode()
        for m in self.up():
            try:
                return name in m.call("CLUSTER", "NODES", timeout_s=5.0)
            except (OSError, ConnectionClosed, ValueError):
                continue
        return True

    def peers_spec(self):
        return ",".join("%d=%s:%d" % (n.id, n.addr, PEER_PORT) for n in self.nodes)

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def start(self):
        for n in self.nodes:
            n.start()
        return self.wait_healthy(START_TIMEOUT_S)

    def up(self):
        return [n for n in self.nodes if n.up()]

    def groups(self):
        """{group: {node id: fields}} from every up node's INFO replication
        (group_<id> lines), or None if a node does not answer."""
        out = {}
        for n in self.up():
            try:
                info = n.info()
            except (OSError, ConnectionClosed, ValueError, ChaosError):
                return None
            for k, v in info.items():
                if k.startswith("group_"):
                    fields = dict(f.split("=", 1) for f in v.split(","))
                    out.setdefault(int(k[len("group_"):]), {})[n.id] = fields
        return out

    def leader(self):
        """The leader of the first shard's group, if every up node holding
        it agrees (same term), or None."""
        groups = self.groups()
        shards = sorted(g for g in (groups or {}) if g != 0)
        if not shards:
            return None
        holders = groups[shards[0]]
        leaders = set(f["leader"] for f in holders.values())
        terms = set(f["term"] for f in holders.values())
        if len(leaders) != 1 or len(terms) != 1 or "0" in leaders:
            return None
        lead = int(leaders.pop())
        if lead not in holders or holders[lead]["role"] != "leader":
            return None
        return self.node(lead) if lead <= len(self.nodes) else None

    def converged(self):
        """The first shard's leader once every node is up, and for every
        group every holder agrees on its leader and has applied everything
        that leader committed."""
        if len(self.up()) != len(self.nodes):
            return None
        groups = self.groups()
        if not groups:
            return None
        for holders in groups.values():
            leaders = set(f["leader"] for f in holders.values())
            if len(leaders) != 1 or "0" in leaders:
                return None
            lead = holders.get(int(next(iter(leaders))))
            if lead is None or lead["role"] != "leader":
                return None
            commit = int(lead["commit"])
            if any(int(f["applied"]) < commit for f in holders.values()):
                return None
        return self.leader()

    def wait_healthy(self, timeout_s):
        return wait_until(self.converged, timeout_s, what="a converged cluster")

    def digests(self):
        """DIGEST of each node's replica (local reads)."""
        out = {}
        for n in self.nodes:
            with RawClient(CLIENT_PORT, host=n.addr, timeout_s=10.0) as c:
                c.value("READONLY")
                out[n.id] = c.value("DIGEST")
        return out

    def stop(self):
        return [p for p in (n.stop() for n in self.nodes + self.joined) if p]

    def sanitizer_reports(self):
        found = []
        for n in self.nodes + self.joined:
            text = n.log_text()
            for m in SANITIZER_MARKERS:
                if m in text:
                    found.append("%s: %s" % (n.name, m))
        return found

    def remove_data(self):
        for n in self.nodes:
            shutil.rmtree(n.dir, ignore_errors=True)


class Firewall(object):
    """Partitions between node addresses as nftables rules in our own table
    (inet family, input hook: a dropped packet never reaches the socket of
    its destination). One table per process; `available` is False when nft
    is missing or not permitted, and then every partition is a no-op the
    caller must not rely on (the run reports it)."""

    TABLE_PREFIX = "polis_chaos_"

    def __init__(self):
        self.table = "%s%d" % (self.TABLE_PREFIX, os.getpid())
        self.available = False
        self.why = ""
        self.rules = []
        self._remove_stale_tables()
        rv = self._nft("add table inet %s" % self.table)
        if rv is not None:
            self.why = rv
            return
        rv = self._nft("add chain inet %s input { type filter hook input priority -10 ; }"
                       % self.table)
        if rv is not None:
            self.why = rv
            self._nft("delete table inet %s" % self.table)
            return
        self.available = True

    @staticmethod
    def _nft(cmd):
        """Runs one nft command; None on success, else the error text."""
        try:
            p = subprocess.run(["nft"] + cmd.split(), capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            return "nft: %s" % e
        if p.returncode != 0:
            return "nft %s: %s" % (cmd, p.stderr.decode("utf-8", "replace").strip())
        return None

    def _remove_stale_tables(self):
        try:
            p = subprocess.run(["nft", "list", "tables"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return
        for m in re.finditer(r"table inet (%s(\d+))" % self.TABLE_PREFIX,
                             p.stdout.decode("utf-8", "replace")):
            pid = int(m.group(2))
            if pid != os.getpid() and not os.path.exists("/proc/%d" % pid):
                self._nft("delete table inet %s" % m.group(1))

    def drop(self, src_addr, dst_addr):
        """Drops every packet from src_addr to dst_addr (one direction)."""
        if not self.available:
            return
        rv = self._nft("add rule inet %s input ip saddr %s ip daddr %s drop"
                       % (self.table, src_addr, dst_addr))
        if rv is not None:
            raise ChaosError(rv)
        self.rules.append((src_addr, dst_addr))

    def heal(self):
        if self.available and self.rules:
            rv = self._nft("flush chain inet %s input" % self.table)
            if rv is not None:
                raise ChaosError(rv)
        self.rules = []

    def close(self):
        if self.available:
            self._nft("delete table inet %s" % self.table)
            self.available = False
