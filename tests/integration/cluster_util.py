"""A 3-node polis cluster on 127.0.0.1 for the cluster integration tests.

Each node has its own directory, client port and peer port. The first start
passes --node-id/--peers (the node writes <dir>/cluster.conf); a restart
passes only --port, --bind, --dir and the non-node config (snapshot entries,
tick, leader wait), since cluster.conf does not record those.

Every wait has a deadline; every socket has a timeout. At teardown
(Cluster.shutdown) every node gets SIGCONT, then SIGTERM, and a node that
was not killed with SIGKILL must exit 0 (under ASan/LSan a memory error or a
leak makes it exit non-zero). Node logs are scanned for sanitizer reports.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from polis_env import POLIS_BIN, SANITIZER_ENV, answers_ping, free_port
from resp_raw import ConnectionClosed, RawClient, RespError, decode, encode_command

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 150
NODE_FLAGS = ("node_id", "peers")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: AddressSanitizer", "ThreadSanitizer", "SUMMARY: UndefinedBehavior")


class ClusterError(Exception):
    pass


def wait_until(predicate, timeout_s, interval_s=0.05, what="condition"):
    """Polls predicate() until it returns a true value (returned) or the
    deadline passes (ClusterError)."""
    deadline = time.monotonic() + timeout_s
    last_exc = None
    while True:
        try:
            v = predicate()
            if v:
                return v
        except (OSError, ConnectionClosed, ValueError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            raise ClusterError("timed out after %.1f s waiting for %s (last error: %r)"
                               % (timeout_s, what, last_exc))
        time.sleep(interval_s)


def parse_info(text):
    """INFO text -> {field: value_str} (sections merged)."""
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for line in text.split("\r\n"):
        if not line or line.startswith("#") or ":" not in line:
            continue
        k, v = line.split(":", 1)
        out[k] = v
    return out


def is_error(reply):
    return isinstance(reply, RespError)


def send_batch(client, cmds, tolerated=lambda reply: False):
    """Sends cmds pipelined, 500 at a time, on a RawClient; every reply must
    be a success, except the errors tolerated(reply) accepts. Returns the
    replies."""
    out = []
    for start in range(0, len(cmds), 500):
        part = cmds[start:start + 500]
        client.send(b"".join(encode_command(*cmd) for cmd in part))
        replies = [decode(x) for x in client.read_replies(len(part), timeout_s=60)]
        bad = [x for x in replies if is_error(x) and not tolerated(x)]
        assert not bad, bad[:3]
        out += replies
    return out


def catch_up_by_snapshot(cluster, before, during, snapshots, tolerated=lambda reply: False):
    """Sends `before` through the leader, stops a follower, sends `during`
    and waits until the leader has taken `snapshots` snapshots since (so its
    log no longer reaches back to the follower), then restarts the
    follower, which must catch up from a snapshot. The nodes need loglevel
    verbose (snapshots are found in the log). Returns (leader client,
    restarted follower)."""
    lead, followers = cluster.followers()
    lag = followers[0]
    client = lead.raw(timeout_s=60)
    send_batch(client, before, tolerated)
    cluster.wait_converged()
    assert lag.stop() is None
    lead_mark = len(lead.log_text())
    send_batch(client, during, tolerated)
    lead.wait_snapshots(lead_mark, snapshots)
    lag.restart()
    return client, lag


def err_text(reply):
    return reply.text.decode("utf-8", "replace") if is_error(reply) else None


class Node(object):
    """One cluster node; a process per start."""

    def __init__(self, cluster, node_id, root):
        self.cluster = cluster
        self.node_id = node_id
        self.name = "node-%d" % node_id
        self.dir = os.path.join(root, "n%d" % node_id)
        os.makedirs(self.dir)
        self.log_path = os.path.join(root, "n%d.log" % node_id)
        self.port = None
        self.peer_port = None
        self.proc = None
        self.started_once = False
        self.first_flags = {}  # node flags of the first start, besides node_id and peers
        self.killed = False   # the current process was SIGKILLed
        self.stopped = False  # SIGSTOPped
        self.reported = False  # a problem with the current process was recorded
        self._clients = []

    # ---- lifecycle -------------------------------------------------------

    def argv(self):
        argv = [POLIS_BIN, "server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir]
        cfg = dict(self.cluster.config)
        if not self.started_once:
            cfg["node_id"] = self.node_id
            cfg["peers"] = self.cluster.peers_spec()
            cfg.update(self.first_flags)
        for name, value in cfg.items():
            argv += ["--" + name.replace("_", "-"), str(value)]
        return argv

    def start(self):
        """Starts the process and waits until it answers PING."""
        assert not self.alive(), "%s is already running" % self.name
        if self.proc is not None and self.proc.returncode not in (0, None) and not self.killed \
                and not self.reported:
            self.cluster.problems.append("%s had exited with status %s before this restart\n%s"
                                         % (self.name, self.proc.returncode, self.log_tail()))
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
        self.killed = False
        self.stopped = False
        self.reported = False
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.reported = True  # the test fails with this error
                raise ClusterError("%s exited with status %s during startup\n%s"
                                   % (self.name, self.proc.returncode, self.log_tail()))
            if answers_ping(self.port):
                self.started_once = True
                return self
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.reported = True
        raise ClusterError("%s did not answer PING within %.0f s\n%s"
                           % (self.name, START_TIMEOUT_S, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """SIGCONT + SIGTERM and wait. Returns a problem string or None; a
        problem is also recorded on the cluster (reported at teardown)."""
        self.close_clients()
        if self.proc is None or self.proc.poll() is not None:
            return None
        if self.stopped:
            self.cont()
        self.proc.send_signal(signal.SIGTERM)
        return self.wait_stopped(timeout_s)

    def wait_stopped(self, timeout_s=STOP_TIMEOUT_S):
        problem = None
        try:
            rc = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            problem = "did not exit within %.0f s of SIGTERM (killed)" % timeout_s
            rc = None
        if problem is None and rc != 0:
            problem = "exited with status %s after SIGTERM" % rc
        if problem is not None:
            self.cluster.problems.append("%s %s\n%s" % (self.name, problem, self.log_tail()))
            self.reported = True
        return problem

    def kill9(self):
        self.close_clients()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.killed = True
        self.stopped = False

    def sigstop(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.stopped = True

    def cont(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        self.stopped = False

    def restart(self):
        """Starts the node again from its directory (no node flags)."""
        if self.alive():
            self.stop()
        return self.start()

    # ---- clients ---------------------------------------------------------

    def raw(self, timeout_s=15.0, readonly=False):
        c = RawClient(self.port, timeout_s=timeout_s)
        self._clients.append(c)
        if readonly:
            reply = c.value("READONLY")
            assert reply == b"OK", reply
        return c

    def close_clients(self):
        for c in self._clients:
            c.close()
        self._clients = []

    def cmd(self, *args, timeout_s=15.0):
        """One command on a fresh connection; returns the decoded reply."""
        with RawClient(self.port, timeout_s=timeout_s) as c:
            return c.value(*args)

    def local(self, *args, timeout_s=15.0):
        """One command on a fresh READONLY connection (this node's replica)."""
        with RawClient(self.port, timeout_s=timeout_s) as c:
            assert c.value("READONLY") == b"OK"
            return c.value(*args)

    def info(self):
        """INFO replication as a dict (served locally, never waits for a
        leader)."""
        with RawClient(self.port, timeout_s=5.0) as c:
            reply = c.value("INFO", "replication")
        if is_error(reply):
            raise ClusterError("%s INFO failed: %r" % (self.name, reply))
        return parse_info(reply)

    # ---- logs ------------------------------------------------------------

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_snapshots(self, since_mark, count, timeout_s=30.0):
        """Waits until the node logged `count` snapshots ("snapshot at index",
        at loglevel verbose) after log position since_mark. Snapshots finish
        in the background, after the writes that triggered them."""
        wait_until(lambda: self.log_text()[since_mark:].count("snapshot at index") >= count,
                   timeout_s, what="%d snapshots on %s" % (count, self.name))

    def log_tail(self, lines=LOG_TAIL_LINES):
        text = self.log_text().splitlines()
        return "---- %s log (%s) ----\n%s" % (self.name, self.log_path, "\n".join(text[-lines:]))


class Cluster(object):
    """Three nodes; config maps polis config names to values and applies to
    every start (node flags are added on each node's first start only)."""

    def __init__(self, size=3, **config):
        self.config = dict(config)
        self.root = tempfile.mkdtemp(prefix="polis-cluster-")
        self.nodes = [Node(self, i + 1, self.root) for i in range(size)]
        self.problems = []

    def peers_spec(self):
        return ",".join("%d=127.0.0.1:%d" % (n.node_id, n.peer_port) for n in self.nodes)

    def _pick_ports(self):
        used = set()
        for n in self.nodes:
            for attr in ("port", "peer_port"):
                p = free_port()
                tries = 0
                while p in used and tries < 50:
                    p = free_port()
                    tries += 1
                used.add(p)
                setattr(n, attr, p)

    def start(self, wait_leader_s=20.0, wait="leader"):
        """Starts every node (retrying with fresh ports if one was taken
        meanwhile) and waits for a leader (wait="leader": of the first
        shard, on which every node agrees; "shards": of every shard on every
        node, see shards_ready; None: no wait)."""
        last = None
        for _attempt in range(3):
            self._pick_ports()
            try:
                for n in self.nodes:
                    n.start()
                break
            except ClusterError as e:
                last = e
                in_use = any("in use" in n.log_text() for n in self.nodes)
                for n in self.nodes:
                    if n.alive():
                        n.proc.kill()
                        n.proc.wait(timeout=10)
                if not in_use:
                    raise
                # Start over in fresh directories with new ports.
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = tempfile.mkdtemp(prefix="polis-cluster-")
                self.nodes = [Node(self, i + 1, self.root) for i in range(len(self.nodes))]
        else:
            raise last
        if wait == "leader":
            self.wait_leader(wait_leader_s)
        elif wait == "shards":
            self.wait_shards(wait_leader_s)
        return self

    def add_node(self, zone=None):
        """Starts one more node that joins the running cluster (cluster-join,
        the cluster's id) and adds it to the map with CLUSTER ADDNODE sent to
        node 1. Returns the node; its replicas come with the balancer."""
        n = Node(self, len(self.nodes) + 1, self.root)
        n.port, n.peer_port = free_port(), free_port()
        info = parse_info(self.running()[0].cmd("CLUSTER", "INFO"))
        peers = ",".join("%d=127.0.0.1:%d" % (m.node_id, m.peer_port) for m in self.nodes)
        n.first_flags = {"cluster_join": "yes", "cluster_id": info["cluster_id"],
                         "peers": peers + ",%d=127.0.0.1:%d" % (n.node_id, n.peer_port)}
        if zone:
            n.first_flags["zone"] = zone
        self.nodes.append(n)
        n.start()
        args = ["CLUSTER", "ADDNODE", n.node_id, "127.0.0.1:%d" % n.port,
                "127.0.0.1:%d" % n.peer_port] + ([zone] if zone else [])
        reply = self.running()[0].cmd(*args)
        if reply != b"OK":
            raise ClusterError("ADDNODE %d failed: %r" % (n.node_id, reply))
        return n

    def shards_ready(self, nodes=None):
        """True when every given node has the shard map (CLUSTER INFO
        cluster_state:ok) and knows a leader for every group it holds."""
        for n in nodes or self.running():
            info = parse_info(n.cmd("CLUSTER", "INFO", timeout_s=5.0))
            if info.get("cluster_state") != "ok":
                return False
            for k, v in n.info().items():
                if k.startswith("group_") and ",leader=0," in "," + v + ",":
                    return False
        return True

    def wait_shards(self, timeout_s=20.0, nodes=None):
        return wait_until(lambda: self.shards_ready(nodes), timeout_s,
                          what="every shard to have a leader")

    def running(self):
        return [n for n in self.nodes if n.alive() and not n.stopped]

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def infos(self, nodes=None):
        return {n.node_id: n.info() for n in (nodes or self.running())}

    def leader(self, nodes=None):
        """The node all given (running) nodes agree is the leader, or None."""
        nodes = nodes or self.running()
        infos = self.infos(nodes)
        leaders = [nid for nid, i in infos.items() if i.get("raft_role") == "leader"]
        if len(leaders) != 1:
            return None
        lid = leaders[0]
        term = infos[lid]["term"]
        for nid, i in infos.items():
            if i.get("leader") != str(lid) or i.get("term") != term:
                return None
        return self.node(lid)

    def wait_leader(self, timeout_s=20.0, nodes=None):
        return wait_until(lambda: self.leader(nodes), timeout_s, what="an agreed leader")

    def followers(self):
        lead = self.wait_leader()
        return lead, [n for n in self.running() if n is not lead]

    def converged(self, nodes=None):
        """The leader if every given node agrees on it and has applied
        everything the leader committed (and the leader has nothing
        uncommitted); else None."""
        nodes = nodes or self.running()
        infos = self.infos(nodes)
        leaders = [nid for nid, i in infos.items() if i.get("raft_role") == "leader"]
        if len(leaders) != 1:
            return None
        li = infos[leaders[0]]
        commit = li["commit_index"]
        if li["last_index"] != commit:
            return None
        for i in infos.values():
            if (i.get("leader") != str(leaders[0]) or i["commit_index"] != commit
                    or i["applied_index"] != commit):
                return None
        return self.node(leaders[0])

    def wait_converged(self, timeout_s=30.0, nodes=None):
        return wait_until(lambda: self.converged(nodes), timeout_s, interval_s=0.05,
                          what="replicas to converge")

    def digests(self, nodes=None):
        """READONLY DIGEST of every given node's local replica."""
        out = {}
        for n in nodes or self.running():
            with RawClient(n.port, timeout_s=10.0) as c:
                assert c.value("READONLY") == b"OK"
                out[n.node_id] = c.value("DIGEST")
        return out

    def assert_replicas_agree(self, timeout_s=30.0, nodes=None):
        """Waits for convergence, then requires equal DIGESTs when no index
        moved while they were taken (retrying, bounded, if one did)."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.wait_converged(max(1.0, deadline - time.monotonic()), nodes)
            before = {k: i["applied_index"] for k, i in self.infos(nodes).items()}
            digests = self.digests(nodes)
            after = {k: i["applied_index"] for k, i in self.infos(nodes).items()}
            stable = before == after and len(set(after.values())) == 1
            if stable:
                assert len(set(digests.values())) == 1, (
                    "replicas disagree at applied_index %s: %r" % (after, digests))
                return list(digests.values())[0]
            if time.monotonic() >= deadline:
                raise ClusterError("indexes kept moving while comparing digests: %r -> %r"
                                   % (before, after))

    # ---- teardown --------------------------------------------------------

    def sanitizer_reports(self):
        out = []
        for n in self.nodes:
            text = n.log_text()
            if any(m in text for m in SANITIZER_MARKERS):
                out.append("%s log has a sanitizer report\n%s" % (n.name, n.log_tail(400)))
        return out

    def shutdown(self):
        """SIGCONT everything, SIGTERM every live node (together, so no node
        waits on a peer that is already gone for long), and collect problems:
        a non-zero exit of a node that was not SIGKILLed, or a sanitizer
        report in any log. Returns the list of problems."""
        for n in self.nodes:
            n.close_clients()
            if n.alive():
                n.cont()
        live = [n for n in self.nodes if n.alive()]
        for n in live:
            n.proc.send_signal(signal.SIGTERM)
        for n in live:
            n.wait_stopped()
        problems = list(self.problems) + self.sanitizer_reports()
        for n in self.nodes:
            if (n.proc is not None and n.proc.returncode not in (0, None) and not n.killed
                    and not n.reported):
                problems.append("%s exited with status %s\n%s"
                                % (n.name, n.proc.returncode, n.log_tail()))
        return problems

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
