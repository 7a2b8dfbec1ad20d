"""The polis command line: help, config file and flag precedence, start-up
errors, `polis demo`, and `polis cluster` (status, create, add-node,
remove-node, rebalance) against real clusters and against a fake node that
sends its replies a byte at a time. All polis-specific (redis-server has
other flags)."""

import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis

from cluster_util import Node, parse_info
from polis_env import POLIS_BIN, SANITIZER_ENV, free_port

pytestmark = pytest.mark.polis_only

RUN_TIMEOUT_S = 20
CLUSTER_RUN_TIMEOUT_S = 180  # the CLI itself waits up to 120 s for the balancer
SHARDS = 8


def run(*args, timeout_s=RUN_TIMEOUT_S, **kw):
    env = dict(os.environ)
    for k, v in SANITIZER_ENV.items():
        env.setdefault(k, v)
    return subprocess.run([POLIS_BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout_s, env=env, **kw)


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
        nodes = ",".join("127.0.0.1:%d" % (port + i) for i in range(3))
        rest = ""
        while "Ctrl-C stops all nodes" not in rest:
            more = proc.stdout.readline()
            assert more, rest
            rest += more
        assert "redis-cli -c -p %d" % port in rest, rest
        assert "polis cluster status --nodes %s" % nodes in rest, rest
        a = redis.Redis(port=port, socket_timeout=10)
        b = redis.Redis(port=port + 1, socket_timeout=10)
        assert a.set("hello", "world")
        assert b.get("hello") == b"world"  # any node serves any key
        a.close()
        b.close()
        status = run("cluster", "status", "--nodes", nodes)
        assert status.returncode == 0, status.stderr
        rows = status.stdout.splitlines()[1:]  # after the header
        assert sum(" leader " in row for row in rows) == 1, status.stdout
        assert sum(" follower " in row for row in rows) == 2, status.stdout
        assert sum("follower_" in row and "state=replicate" in row for row in rows) == 2
        # the demo's cluster was formed by `polis cluster create --shards 8`
        assert "cluster_state:ok" in status.stdout
        assert len(shard_rows(status.stdout)) == SHARDS, status.stdout
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


# ---- polis cluster ----------------------------------------------------------


def addr(node):
    return "127.0.0.1:%d" % node.port


def addrs(nodes):
    return ",".join(addr(n) for n in nodes)


def run_cluster(*args):
    return run("cluster", *args, timeout_s=CLUSTER_RUN_TIMEOUT_S)


def table_rows(text, title, pattern):
    """The rows of one of `polis cluster status`'s tables that match pattern,
    from after its title and header line to the first row that does not."""
    lines = text.splitlines()
    rows = []
    for line in lines[lines.index(title) + 2:]:
        m = re.match(pattern, line)
        if not m:
            break
        rows.append(m.groups())
    return rows


def shard_rows(text):
    """[(slot ranges, master, [replicas])] of the shards table."""
    return [(slots, master, replicas.split()) for _, slots, master, replicas
            in table_rows(text, "shards:", r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$")]


def node_rows(text):
    """{id: (address, state, replicas, leaders)} of the nodes table."""
    return {int(i): (a, s, int(r), int(lead)) for i, a, s, r, lead in table_rows(
        text, "nodes:", r"^\s+(\d+)\s+(\S+)\s+(up|draining)\s+(\d+)\s+(\d+)$")}


def parse_balance(text):
    """CLUSTER REBALANCE's text (also what `polis cluster rebalance` prints
    last) -> (state, {id: (state, replicas, leaders)})."""
    state, nodes = None, {}
    for line in text.splitlines():
        if line.startswith("state:"):
            state = line[len("state:"):]
        m = re.match(r"^node_(\d+):state=(\w+),replicas=(\d+),leaders=(\d+)$", line)
        if m:
            nodes[int(m.group(1))] = (m.group(2), int(m.group(3)), int(m.group(4)))
    return state, nodes


def progress_lines(text):
    """The balancer progress lines the CLI prints while it waits."""
    return [line for line in text.splitlines() if re.match(r"^\s+\d+\.\d s  ", line)]


def shard_groups(node):
    """Ids of the shard groups (not the meta group) a node runs."""
    return [k for k in node.info() if k.startswith("group_") and k != "group_0"]


def start_joining_node(cl, zone=None, cluster_id=None):
    """A node started the way Cluster.add_node starts one (cluster-join, the
    cluster's id, every peer and itself), but not yet in the map: sending
    CLUSTER ADDNODE is the CLI's job here."""
    n = Node(cl, len(cl.nodes) + 1, cl.root)
    n.port, n.peer_port = free_port(), free_port()
    info = parse_info(cl.running()[0].cmd("CLUSTER", "INFO"))
    peers = ",".join("%d=127.0.0.1:%d" % (m.node_id, m.peer_port) for m in cl.nodes)
    n.first_flags = {"cluster_join": "yes", "cluster_id": cluster_id or info["cluster_id"],
                     "peers": peers + ",%d=127.0.0.1:%d" % (n.node_id, n.peer_port)}
    if zone:
        n.first_flags["zone"] = zone
    cl.nodes.append(n)
    n.start()
    return n


def test_cluster_usage_errors_exit_non_zero():
    out = run("cluster", "--help")
    assert out.returncode == 0
    for sub in ("status", "create", "add-node", "remove-node", "rebalance"):
        assert "polis cluster %s" % sub in out.stdout
        assert "polis cluster %s" % sub in run("--help").stdout
    dead = "127.0.0.1:%d" % free_port()
    for args, message in [
            ((), "Usage: polis cluster <subcommand>"),
            (("frobnicate",), "unknown subcommand 'frobnicate'"),
            (("create", dead), "--shards N is required"),
            (("create", "--shards", "0", dead), "--shards must be 1..16384, not '0'"),
            (("create", "--shards", "4", "--replicas", "9", dead), "--replicas must be 1..7"),
            (("create", "--shards", "4"), "missing the node address"),
            (("create", "--shards", "4", "--nodes", dead), "unknown option '--nodes'"),
            (("add-node",), "missing the node address"),
            (("add-node", dead, "--nodes"), "--nodes needs a value"),
            (("remove-node", "4", "5"), "unexpected argument '5'"),
            (("rebalance", "--shards", "3"), "unknown option '--shards'"),
            (("status", "--bogus"), "unknown option '--bogus'")]:
        out = run("cluster", *args)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert message in out.stderr and "Usage: polis cluster" in out.stderr, (args, out.stderr)
    # arguments that parse but make no sense, and nodes that are not there
    for args, message in [
            (("create", "--shards", "4", "nowhere"), "bad address 'nowhere' (expected ip:port)"),
            (("remove-node", "x"), "bad node id 'x'"),
            (("status", "--nodes", "127.0.0.1:0"), "bad address '127.0.0.1:0'"),
            (("create", "--shards", "4", dead), "%s does not answer PING" % dead),
            (("rebalance", "--nodes", dead), "no node answers PING"),
            (("remove-node", "4", "--nodes", dead), "no node answers PING")]:
        out = run("cluster", *args)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert message in out.stderr, (args, out.stderr)


def test_cluster_create_refuses_a_standalone_node(server):
    out = run("cluster", "create", "--shards", "2", "127.0.0.1:%d" % server.port)
    assert out.returncode == 1
    assert "is not a cluster node" in out.stderr and "cluster support disabled" in out.stderr


def test_cluster_create_lays_out_the_shards_and_status_shows_them(cluster_factory):
    cl = cluster_factory(wait=None, cluster_shards=0)
    out = run_cluster("create", "--shards", "6", "--replicas", "2", *[addr(n) for n in cl.nodes])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "cluster created: 6 shards over 3 nodes" in out.stdout
    for n in cl.nodes:
        assert parse_info(n.cmd("CLUSTER", "INFO"))["cluster_state"] == "ok"
    cl.wait_shards(20)
    c = cl.nodes[0]
    entries = c.cmd("CLUSTER", "SLOTS")
    assert len(entries) == 6 and all(len(e) == 2 + 2 for e in entries)  # R = 2
    assert c.cmd("SET", "k", "v") == b"OK"
    assert cl.nodes[2].cmd("GET", "k") == b"v"
    # a second layout is refused, with the node's reason
    again = run("cluster", "create", "--shards", "6", addr(cl.nodes[1]))
    assert again.returncode == 1 and "has shards already" in again.stderr
    # status: the per-node lines, then every shard and every node
    status = run("cluster", "status", "--nodes", addrs(cl.nodes))
    assert status.returncode == 0, status.stderr
    assert "cluster_state:ok" in status.stdout
    rows = shard_rows(status.stdout)
    assert sorted(r[0] for r in rows) == sorted("%d-%d" % (e[0], e[1]) for e in entries)
    for _, master, replicas in rows:
        assert master in ("n1", "n2", "n3") and len(replicas) == 1, rows
    nodes = node_rows(status.stdout)
    assert {i: v[0] for i, v in nodes.items()} == {n.node_id: addr(n) for n in cl.nodes}
    assert sum(v[2] for v in nodes.values()) == 12 and all(v[1] == "up" for v in nodes.values())


def test_cluster_add_node_moves_replicas_to_it_and_rebalance_reports(cluster_factory):
    cl = cluster_factory(wait="shards", cluster_shards=SHARDS)
    new = start_joining_node(cl, zone="z4")
    out = run_cluster("add-node", addr(new), "--nodes", addrs(cl.nodes[:3]))
    assert out.returncode == 0, out.stdout + out.stderr
    assert ("node 4 (%s, peer 127.0.0.1:%d, zone z4) is in the cluster"
            % (addr(new), new.peer_port)) in out.stdout
    last = progress_lines(out.stdout)[-1].split()
    assert last[2] == "balanced" and "n4" in last, out.stdout
    # rebalance reports the balance, one line per node
    out = run_cluster("rebalance", "--nodes", addr(cl.nodes[1]))
    assert out.returncode == 0, out.stdout + out.stderr
    state, nodes = parse_balance(out.stdout)
    assert state == "balanced" and set(nodes) == {1, 2, 3, 4}, out.stdout
    counts = [replicas for _, replicas, _ in nodes.values()]
    assert sum(counts) == SHARDS * 3 and max(counts) - min(counts) <= 1, nodes
    assert new.cmd("SET", "k4", "v") == b"OK"
    assert cl.nodes[0].cmd("GET", "k4") == b"v"
    # a node started with another cluster's id is refused before ADDNODE
    cluster_id = parse_info(cl.nodes[0].cmd("CLUSTER", "INFO"))["cluster_id"]
    stranger = start_joining_node(cl, cluster_id="1" if cluster_id != "1" else "2")
    out = run("cluster", "add-node", addr(stranger), "--nodes", addr(cl.nodes[0]))
    assert out.returncode == 1
    assert "has cluster id" in out.stderr and "--cluster-id %s" % cluster_id in out.stderr
    assert len(cl.nodes[0].cmd("CLUSTER", "NODES").decode().strip().split("\n")) == 4


def test_cluster_remove_node_drains_it(cluster_factory):
    cl = cluster_factory(wait="shards", size=4, cluster_shards=SHARDS)
    c = cl.nodes[0].raw()
    assert c.value("MSET", *sum((["{r}k%d" % i, "v%d" % i] for i in range(200)), [])) == b"OK"
    gone = cl.node(4)
    out = run_cluster("remove-node", "4", "--nodes", addrs(cl.nodes[:3]))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "node 4 is draining" in out.stdout
    assert "node 4 has left the cluster" in out.stdout
    assert progress_lines(out.stdout), out.stdout
    nodes_text = c.value("CLUSTER", "NODES").decode()
    assert len(nodes_text.strip().split("\n")) == 3 and "%040x" % 4 not in nodes_text
    state, nodes = parse_balance(c.value("CLUSTER", "REBALANCE").decode())
    assert set(nodes) == {1, 2, 3} and all(v[1] == SHARDS for v in nodes.values()), nodes
    # the drained node retires its replicas; the data stayed
    deadline = time.monotonic() + 30
    while shard_groups(gone) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not shard_groups(gone)
    assert c.value("MGET", "{r}k0", "{r}k199") == [b"v0", b"v199"]
    # asking again is harmless; --no-wait returns at once
    out = run("cluster", "remove-node", "4", "--no-wait", "--nodes", addr(cl.nodes[1]))
    assert out.returncode == 0, out.stderr
    assert not progress_lines(out.stdout)


# ---- the CLI's RESP client, against a fake node ------------------------------


def parse_command(data):
    """The words of one RESP array command at the start of data, or None
    while it is incomplete."""
    end = data.find(b"\r\n")
    if not data.startswith(b"*") or end < 0:
        return None
    words, pos = [], end + 2
    for _ in range(int(data[1:end])):
        end = data.find(b"\r\n", pos)
        if end < 0:
            return None
        assert data[pos:pos + 1] == b"$", data
        start = end + 2
        n = int(data[pos + 1:end])
        if len(data) < start + n + 2:
            return None
        words.append(data[start:start + n].decode())
        pos = start + n + 2
    return words


class FakeNode(threading.Thread):
    """Answers each command (the CLI sends one per connection) with a
    scripted reply, written a byte at a time so that the client must put
    replies together from partial reads; a reply of None is never sent."""

    def __init__(self, replies):
        super().__init__(daemon=True)
        self.replies = replies
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.start()

    def run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                try:
                    self.serve(conn)
                except OSError:
                    pass

    def serve(self, conn):
        conn.settimeout(5)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data, words = b"", None
        while words is None:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
            words = parse_command(data)
        reply = self.replies.get(" ".join(words).upper(), b"-ERR unknown command\r\n")
        if reply is None:
            self.stopping.wait(10)
            return
        for i in range(len(reply)):
            conn.sendall(reply[i:i + 1])
            time.sleep(0.0002)

    def stop(self):
        self.stopping.set()
        self.join(15)
        self.sock.close()


def bulk(text):
    data = text.encode() if isinstance(text, str) else text
    return b"$%d\r\n%s\r\n" % (len(data), data)


def verbatim(text):
    return bulk(b"txt:" + text.encode()).replace(b"$", b"=", 1)


def node_name(node_id):
    return "%040x" % node_id


def shard_member(node_id, role, health):
    return (b"%3\r\n" + bulk("id") + bulk(node_name(node_id)) + bulk("role") + bulk(role)
            + bulk("health") + bulk(health))


def test_cluster_status_reads_every_reply_type_from_partial_reads():
    shards = (b"*1\r\n%2\r\n" + bulk("slots") + b"*4\r\n:0\r\n:99\r\n:100\r\n:16383\r\n"
              + bulk("nodes") + b"*2\r\n" + shard_member(1, "master", "online")
              + shard_member(2, "replica", "fail"))
    fake = FakeNode({
        "PING": b"+PONG\r\n",
        "INFO REPLICATION": bulk("# Replication\r\nnode_id:1\r\nterm:7\r\nleader:1\r\n"
                                 "commit_index:42\r\napplied_index:41\r\nraft_role:leader\r\n"
                                 "follower_2:match=42,lag=0,state=replicate\r\n"),
        "CLUSTER INFO": verbatim("cluster_state:ok\r\ncluster_known_nodes:2\r\n"),
        "CLUSTER REBALANCE": verbatim("state:leaders\r\nnode_1:state=up,replicas=1,leaders=1"
                                      "\r\nnode_2:state=draining,replicas=1,leaders=0\r\n"),
        "CLUSTER NODES": verbatim("%s 127.0.0.1:7001@17001 myself,master - 0 0 3 connected "
                                  "0-16383\n%s 127.0.0.1:7002@17002 master - 0 0 3 connected\n"
                                  % (node_name(1), node_name(2))),
        "CLUSTER SHARDS": shards})
    try:
        out = run("cluster", "status", "--nodes", fake.addr)
    finally:
        fake.stop()
    assert out.returncode == 0, out.stderr
    row = out.stdout.splitlines()[1].split()
    assert row == [fake.addr, "1", "leader", "7", "1", "42", "41"], out.stdout
    assert "    follower_2:match=42,lag=0,state=replicate" in out.stdout
    assert "cluster_state:ok, balancer: leaders" in out.stdout
    assert node_rows(out.stdout) == {1: ("127.0.0.1:7001", "up", 1, 1),
                                     2: ("127.0.0.1:7002", "draining", 1, 0)}
    assert shard_rows(out.stdout) == [("0-99,100-16383", "n1", ["n2(fail)"])]


def test_cluster_add_node_reads_the_new_node_and_compares_cluster_ids():
    new = FakeNode({
        "PING": b"+PONG\r\n",
        "CLUSTER MYID": bulk(node_name(7)),
        "CONFIG GET PEERS": b"%1\r\n" + bulk("peers") + bulk("1=127.0.0.1:17001,7=127.0.0.1:17007"),
        "CONFIG GET ZONE": b"*2\r\n" + bulk("zone") + bulk("east"),
        "CLUSTER INFO": verbatim("cluster_state:fail\r\ncluster_id:41\r\n")})
    old = FakeNode({"PING": b"+PONG\r\n", "CLUSTER INFO": bulk("cluster_state:ok\r\ncluster_id:42\r\n"),
                    "CLUSTER ADDNODE 7 %s 127.0.0.1:17007 EAST" % new.addr: b"+OK\r\n"})
    try:
        out = run("cluster", "add-node", new.addr, "--nodes", old.addr)
        assert out.returncode == 1
        assert ("%s has cluster id 41 but the cluster at %s has 42" % (new.addr, old.addr)
                in out.stderr), out.stderr
        new.replies["CLUSTER INFO"] = verbatim("cluster_state:fail\r\ncluster_id:42\r\n")
        out = run("cluster", "add-node", new.addr, "--nodes", old.addr, "--no-wait")
        assert out.returncode == 0, out.stderr
        assert "node 7 (%s, peer 127.0.0.1:17007, zone east) is in the cluster" % new.addr \
            in out.stdout
    finally:
        new.stop()
        old.stop()


@pytest.mark.parametrize("reply,problem", [
    (b"$99999999999\r\n", "protocol error"),                  # past the length limit
    (b"=5\r\ntxt:state:balanced\r\n", "protocol error"),      # a length that lies
    (b"*1\r\n" * 9 + b"+deep\r\n", "protocol error"),         # nested too deep
    (b"?what\r\n", "protocol error"),                         # no such type
    (b"+PONG\r", "connection closed before a whole reply"),
    (None, "no reply in time"),
])
def test_cluster_status_refuses_bad_replies(reply, problem):
    fake = FakeNode({"INFO REPLICATION": reply})
    try:
        out = run("cluster", "status", "--nodes", fake.addr)
    finally:
        fake.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    assert "unreachable (" in out.stdout and problem in out.stdout, out.stdout
