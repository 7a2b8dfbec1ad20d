"""Server commands: PING ECHO HELLO AUTH CLIENT INFO CONFIG TIME SELECT DBSIZE
FLUSHDB FLUSHALL COMMAND QUIT SHUTDOWN."""

import time

import pytest

from resp_raw import decode, RespError

ERR_SYNTAX = b"-ERR syntax error\r\n"
ERR_NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, "
                b"otherwise the HELLO AUTH <user> <pass> option can be used to authenticate "
                b"the client and select the RESP protocol version at the same time\r\n")
HELLO_KEYS = {b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"}


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd


@pytest.fixture
def c(server):
    return server.raw()


def wait_until(predicate, timeout_s, interval_s=0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


def parse_info(text):
    """INFO text -> {section_name_lower: {field: value_str}}."""
    if isinstance(text, bytes):
        text = text.decode()
    assert "\r\n" in text, "INFO lines must end with CRLF"
    sections = {}
    current = None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line.startswith("# "):
            current = sections.setdefault(line[2:].strip().lower(), {})
            continue
        assert current is not None, "INFO field before any section header: %r" % line
        name, sep, value = line.partition(":")
        assert sep == ":", "INFO line without ':': %r" % line
        current[name] = value
    return sections


def info(c, *sections):
    return parse_info(c.value("INFO", *sections))


# ---- PING ECHO ----------------------------------------------------------------------


def test_ping_echo(r, c):
    assert r.ping() is True
    assert c.call("PING") == b"+PONG\r\n"
    assert c.call("PING", "hello") == b"$5\r\nhello\r\n"
    assert c.call("PING", "a", "b") == arity(b"ping")
    assert c.call("ECHO", "x\r\ny\x00") == b"$5\r\nx\r\ny\x00\r\n"
    assert c.call("ECHO", "") == b"$0\r\n\r\n"
    assert c.call("ECHO") == arity(b"echo")
    assert c.call("ECHO", "a", "b") == arity(b"echo")


def test_unknown_command(c):
    assert c.call("NOSUCHCMD") == b"-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n"
    assert c.call("nosuch", "a", "b c") == \
        b"-ERR unknown command 'nosuch', with args beginning with: 'a' 'b c' \r\n"
    assert c.call("PING") == b"+PONG\r\n"


# ---- HELLO --------------------------------------------------------------------------


def test_hello_2(c):
    reply = c.value("HELLO", "2")
    assert isinstance(reply, list) and len(reply) == 14
    fields = dict(zip(reply[0::2], reply[1::2]))
    assert set(fields) == HELLO_KEYS
    assert fields[b"proto"] == 2
    assert fields[b"id"] == c.value("CLIENT", "ID")
    assert fields[b"mode"] == b"standalone"
    assert fields[b"role"] == b"master"
    assert fields[b"modules"] == []
    assert c.value("HELLO") == reply[:7] + [c.value("CLIENT", "ID")] + reply[8:]


def test_hello_3_map(c):
    raw = c.call("HELLO", "3")
    assert raw.startswith(b"%7\r\n$6\r\nserver\r\n")
    fields = decode(raw)
    assert set(fields) == HELLO_KEYS
    assert fields[b"proto"] == 3
    assert b":3\r\n" in raw
    assert raw.endswith(b"$7\r\nmodules\r\n*0\r\n")
    assert fields[b"id"] == c.value("CLIENT", "ID")
    # The connection now speaks RESP3: a missing key is the null type.
    assert c.call("GET", "missing") == b"_\r\n"
    # And HELLO 2 switches back.
    assert c.call("HELLO", "2").startswith(b"*14\r\n")
    assert c.call("GET", "missing") == b"$-1\r\n"


def test_hello_errors(c):
    assert c.call("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    assert c.call("HELLO", "1") == b"-NOPROTO unsupported protocol version\r\n"
    assert c.call("HELLO", "x") == b"-ERR Protocol version is not an integer or out of range\r\n"
    assert c.call("HELLO", "3", "FOO") == b"-ERR Syntax error in HELLO option 'FOO'\r\n"
    assert c.call("HELLO", "3", "AUTH", "default") == b"-ERR Syntax error in HELLO option 'AUTH'\r\n"
    # A failed HELLO leaves the protocol unchanged.
    assert c.call("GET", "missing") == b"$-1\r\n"


def test_hello_setname(c):
    c.call("HELLO", "2", "SETNAME", "myname")
    assert c.call("CLIENT", "GETNAME") == b"$6\r\nmyname\r\n"
    assert c.call("HELLO", "2", "SETNAME", "a b") == \
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"


# ---- AUTH ---------------------------------------------------------------------------


def test_auth_without_requirepass(c):
    assert c.call("AUTH", "x") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n")
    assert c.call("AUTH") == arity(b"auth")
    assert c.call("PING") == b"+PONG\r\n"


@pytest.mark.server_config(requirepass="s3cret")
def test_auth_requirepass(server):
    c = server.raw()
    assert c.call("GET", "k") == NOAUTH
    assert c.call("PING") == NOAUTH
    assert c.call("SET", "k", "v") == NOAUTH
    assert c.call("HELLO", "3") == HELLO_NOAUTH
    assert c.call("HELLO") == HELLO_NOAUTH
    assert c.call("AUTH", "wrong") == WRONGPASS
    assert c.call("AUTH", "default", "wrong") == WRONGPASS
    assert c.call("AUTH", "a", "b", "c") == ERR_SYNTAX
    assert c.call("GET", "k") == NOAUTH
    assert c.call("AUTH", "s3cret") == b"+OK\r\n"
    assert c.call("SET", "k", "v") == b"+OK\r\n"
    assert c.call("GET", "k") == b"$1\r\nv\r\n"

    d = server.raw()
    assert d.call("AUTH", "default", "s3cret") == b"+OK\r\n"
    assert d.call("GET", "k") == b"$1\r\nv\r\n"

    e = server.raw()
    assert e.call("HELLO", "3", "AUTH", "default", "wrong") == WRONGPASS
    raw = e.call("HELLO", "3", "AUTH", "default", "s3cret")
    assert decode(raw)[b"proto"] == 3
    assert e.call("GET", "missing") == b"_\r\n"

    f = server.raw()
    assert f.call("QUIT") == b"+OK\r\n"  # QUIT needs no authentication
    assert f.is_closed()

    # redis-py with the password works (the fixture passes it).
    assert server.client().get(b"k") == b"v"


# ---- CLIENT -------------------------------------------------------------------------


def test_client_setname_getname_id(c):
    assert c.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert c.call("CLIENT", "SETNAME", "conn-1") == b"+OK\r\n"
    assert c.call("CLIENT", "GETNAME") == b"$6\r\nconn-1\r\n"
    assert c.call("CLIENT", "SETNAME", "bad name") == \
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    assert c.call("CLIENT", "SETNAME", "bad\nname").startswith(b"-ERR Client names cannot")
    assert c.call("CLIENT", "GETNAME") == b"$6\r\nconn-1\r\n"
    assert c.call("CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert c.call("CLIENT", "GETNAME") == b"$-1\r\n"
    id1 = c.value("CLIENT", "ID")
    assert isinstance(id1, int) and id1 > 0
    assert c.value("CLIENT", "ID") == id1


def test_client_ids_increase(server):
    a, b = server.raw(), server.raw()
    assert b.value("CLIENT", "ID") > a.value("CLIENT", "ID")


def parse_client_line(line):
    fields = {}
    for item in line.split(b" "):
        name, sep, value = item.partition(b"=")
        assert sep, "CLIENT LIST item without '=': %r" % item
        fields[name] = value
    return fields


def test_client_list_and_info(server):
    a, b = server.raw(), server.raw()
    a.call("CLIENT", "SETNAME", "alpha")
    ida, idb = a.value("CLIENT", "ID"), b.value("CLIENT", "ID")
    listing = a.value("CLIENT", "LIST")
    assert listing.endswith(b"\n")
    lines = [parse_client_line(l) for l in listing.rstrip(b"\n").split(b"\n")]
    by_id = {int(l[b"id"]): l for l in lines}
    assert {ida, idb} <= set(by_id)
    assert by_id[ida][b"name"] == b"alpha"
    assert by_id[idb][b"name"] == b""
    local_port = a.sock.getsockname()[1]
    assert by_id[ida][b"addr"] == b"127.0.0.1:%d" % local_port
    me = a.value("CLIENT", "INFO")
    assert me.endswith(b"\n") and me.count(b"\n") == 1
    fields = parse_client_line(me.rstrip(b"\n"))
    assert int(fields[b"id"]) == ida
    assert fields[b"name"] == b"alpha"
    assert fields[b"addr"] == b"127.0.0.1:%d" % local_port


def test_client_kill(server):
    a, b, d = server.raw(), server.raw(), server.raw()
    idb = b.value("CLIENT", "ID")
    assert a.call("CLIENT", "KILL", "ID", str(idb)) == b":1\r\n"
    assert b.is_closed()
    assert a.call("CLIENT", "KILL", "ID", str(idb)) == b":0\r\n"
    addr = "127.0.0.1:%d" % d.sock.getsockname()[1]
    assert a.call("CLIENT", "KILL", addr) == b"+OK\r\n"
    assert d.is_closed()
    assert a.call("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"
    assert a.call("CLIENT", "KILL", "ID", "abc") == b"-ERR client-id should be greater than 0\r\n"
    assert a.call("PING") == b"+PONG\r\n"


def test_client_errors(c):
    assert c.call("CLIENT", "FOO") == b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"
    assert c.call("CLIENT", "ID", "x") == arity(b"client|id")
    assert c.call("CLIENT") == arity(b"client")


# ---- INFO ---------------------------------------------------------------------------


def test_info_default_sections(c):
    sections = info(c)
    for name in ("server", "clients", "memory", "stats", "keyspace"):
        assert name in sections, name
    assert "commandstats" not in sections


def test_info_server(server, c):
    s = info(c, "server")
    assert list(s) == ["server"]
    s = s["server"]
    assert "redis_version" in s, s
    assert int(s["process_id"]) == server.pid
    assert int(s["tcp_port"]) == server.port
    assert int(s["uptime_in_seconds"]) >= 0


def test_info_multiple_sections(c):
    sections = info(c, "server", "clients")
    assert set(sections) == {"server", "clients"}


def connected_clients(c):
    return int(info(c, "clients")["clients"]["connected_clients"])


def wait_for_only_client(c):
    """Waits until `c` is the only connection the server counts (the
    fixture's start-up probe may take a moment to be reaped)."""
    assert wait_until(lambda: connected_clients(c) == 1, 5.0), connected_clients(c)


def test_info_clients(server, c):
    wait_for_only_client(c)
    extra = [server.raw() for _ in range(3)]
    for x in extra:
        x.call("PING")
    assert connected_clients(c) == 4
    for x in extra:
        x.close()
    wait_for_only_client(c)


def test_info_memory(r, c):
    before = int(info(c, "memory")["memory"]["used_memory"])
    assert before > 0
    r.mset({b"mem:%d" % i: b"x" * 1000 for i in range(10000)})
    after = int(info(c, "memory")["memory"]["used_memory"])
    assert after >= before + 8 * 1000 * 1000


def test_info_stats(server, c):
    s1 = info(c, "stats")["stats"]
    c.call("SET", "k", "v")
    c.call("GET", "k")
    c.call("GET", "missing")
    server.raw().call("PING")
    s2 = info(c, "stats")["stats"]
    assert int(s2["total_commands_processed"]) >= int(s1["total_commands_processed"]) + 4
    assert int(s2["total_connections_received"]) == int(s1["total_connections_received"]) + 1
    assert int(s2["keyspace_hits"]) == int(s1["keyspace_hits"]) + 1
    assert int(s2["keyspace_misses"]) == int(s1["keyspace_misses"]) + 1


def test_info_keyspace(r, c):
    assert info(c, "keyspace") == {"keyspace": {}}
    r.set(b"a", b"1")
    r.set(b"b", b"2", ex=1000)
    r.set(b"c", b"3")
    db0 = info(c, "keyspace")["keyspace"]["db0"]
    fields = dict(kv.split("=") for kv in db0.split(","))
    assert fields["keys"] == "3"
    assert fields["expires"] == "1"
    assert "avg_ttl" in fields


def test_info_commandstats(r, c):
    for _ in range(3):
        r.set(b"k", b"v")
    r.get(b"k")
    stats = info(c, "commandstats")["commandstats"]
    calls = {name: dict(kv.split("=") for kv in v.split(",")) for name, v in stats.items()}
    assert calls["cmdstat_set"]["calls"] == "3"
    assert calls["cmdstat_get"]["calls"] == "1"
    assert "usec" in calls["cmdstat_set"]
    assert "commandstats" in info(c, "all") or "commandstats" in info(c, "everything")


# ---- CONFIG -------------------------------------------------------------------------


def config_get(c, *names):
    reply = c.value("CONFIG", "GET", *names)
    return dict(zip(reply[0::2], reply[1::2]))


def test_config_get_defaults(c):
    got = config_get(c, "maxclients", "timeout", "hz", "requirepass", "proto-max-bulk-len",
                     "client-query-buffer-limit")
    assert got == {
        b"maxclients": b"10000",
        b"timeout": b"0",
        b"hz": b"10",
        b"requirepass": b"",
        b"proto-max-bulk-len": b"536870912",
        b"client-query-buffer-limit": b"1073741824",
    }
    assert config_get(c, "no-such-option") == {}
    assert b"maxclients" in config_get(c, "max*")


@pytest.mark.server_config(hz=20, proto_max_bulk_len="2mb", timeout=300)
def test_config_from_command_line(c):
    assert config_get(c, "hz", "proto-max-bulk-len", "timeout") == {
        b"hz": b"20", b"proto-max-bulk-len": b"2097152", b"timeout": b"300"}


def test_config_set(c):
    assert c.call("CONFIG", "SET", "timeout", "100") == b"+OK\r\n"
    assert c.call("CONFIG", "SET", "hz", "15") == b"+OK\r\n"
    assert c.call("CONFIG", "SET", "maxclients", "500") == b"+OK\r\n"
    assert c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
    assert config_get(c, "timeout", "hz", "maxclients", "proto-max-bulk-len") == {
        b"timeout": b"100", b"hz": b"15", b"maxclients": b"500", b"proto-max-bulk-len": b"1048576"}


def test_config_errors(c):
    assert c.call("CONFIG", "SET", "maxclients", "abc") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
        b"argument couldn't be parsed into an integer\r\n")
    assert c.call("CONFIG", "SET", "no-such-option", "1") == \
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-option'\r\n"
    assert c.call("CONFIG", "SET", "timeout") == arity(b"config|set")
    assert c.call("CONFIG", "GET") == arity(b"config|get")
    assert c.call("CONFIG", "FOO") == b"-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"
    assert config_get(c, "maxclients") == {b"maxclients": b"10000"}


def test_config_set_proto_max_bulk_len_applies(server, c):
    assert c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
    other = server.raw()
    assert other.call("SET", "k", b"x" * 1000) == b"+OK\r\n"
    other.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
    assert other.read_until_closed() == b"-ERR Protocol error: invalid bulk length\r\n"
    assert c.call("PING") == b"+PONG\r\n"


def test_config_set_requirepass_applies(server, c):
    assert c.call("CONFIG", "SET", "requirepass", "pw") == b"+OK\r\n"
    new = server.raw()
    assert new.call("GET", "k") == NOAUTH
    assert new.call("AUTH", "pw") == b"+OK\r\n"
    assert new.call("GET", "k") == b"$-1\r\n"
    assert c.call("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
    assert server.raw().call("PING") == b"+PONG\r\n"


def test_config_set_maxclients_applies(server, c):
    wait_for_only_client(c)
    c.call("CONFIG", "SET", "maxclients", "2")
    second = server.raw()
    assert second.call("PING") == b"+PONG\r\n"
    third = server.raw()
    assert third.read_until_closed() == b"-ERR max number of clients reached\r\n"
    c.call("CONFIG", "SET", "maxclients", "10000")
    assert server.raw().call("PING") == b"+PONG\r\n"


def test_config_set_timeout_closes_idle_clients(server, c):
    assert c.call("CONFIG", "SET", "timeout", "1") == b"+OK\r\n"
    idle = server.raw()
    assert idle.call("PING") == b"+PONG\r\n"
    assert idle.is_closed(timeout_s=10.0)


# ---- TIME SELECT DBSIZE FLUSH -------------------------------------------------------


def test_time(c):
    reply = c.value("TIME")
    assert isinstance(reply, list) and len(reply) == 2
    sec, usec = int(reply[0]), int(reply[1])
    assert abs(sec - time.time()) < 5
    assert 0 <= usec < 1000000
    assert c.call("TIME", "x") == arity(b"time")


def test_select(c):
    assert c.call("SELECT", "0") == b"+OK\r\n"
    assert c.call("SELECT", "16") == b"-ERR DB index is out of range\r\n"
    assert c.call("SELECT", "-1") == b"-ERR DB index is out of range\r\n"
    assert c.call("SELECT", "abc") == ERR_NOT_INT
    assert c.call("SELECT") == arity(b"select")


@pytest.mark.polis_only
def test_select_nonzero_out_of_range(c):
    for db in ("1", "2", "15"):
        assert c.call("SELECT", db) == b"-ERR DB index is out of range\r\n"
    c.call("SET", "k", "v")
    assert c.call("GET", "k") == b"$1\r\nv\r\n"  # still on db 0


def test_dbsize_flushdb_flushall(c):
    assert c.call("DBSIZE") == b":0\r\n"
    c.call("MSET", "a", "1", "b", "2", "c", "3")
    c.call("SET", "d", "4", "EX", "1000")
    assert c.call("DBSIZE") == b":4\r\n"
    assert c.call("FLUSHDB") == b"+OK\r\n"
    assert c.call("DBSIZE") == b":0\r\n"
    c.call("MSET", "a", "1", "b", "2")
    assert c.call("FLUSHALL") == b"+OK\r\n"
    assert c.call("DBSIZE") == b":0\r\n"
    c.call("SET", "a", "1")
    assert c.call("FLUSHDB", "ASYNC") == b"+OK\r\n"
    assert c.call("DBSIZE") == b":0\r\n"
    c.call("SET", "a", "1")
    assert c.call("FLUSHALL", "SYNC") == b"+OK\r\n"
    assert c.call("DBSIZE") == b":0\r\n"
    assert c.call("FLUSHDB", "FOO") == ERR_SYNTAX
    assert c.call("DBSIZE", "x") == arity(b"dbsize")


# ---- COMMAND ------------------------------------------------------------------------

# (name, arity, first key, last key, step) as Redis 7.0 reports them.
COMMAND_TABLE = [
    ("get", 2, 1, 1, 1), ("set", -3, 1, 1, 1), ("setnx", 3, 1, 1, 1),
    ("setex", 4, 1, 1, 1), ("psetex", 4, 1, 1, 1), ("getset", 3, 1, 1, 1),
    ("getdel", 2, 1, 1, 1), ("getex", -2, 1, 1, 1), ("mget", -2, 1, -1, 1),
    ("mset", -3, 1, -1, 2), ("msetnx", -3, 1, -1, 2), ("incr", 2, 1, 1, 1),
    ("decr", 2, 1, 1, 1), ("incrby", 3, 1, 1, 1), ("decrby", 3, 1, 1, 1),
    ("incrbyfloat", 3, 1, 1, 1), ("append", 3, 1, 1, 1), ("strlen", 2, 1, 1, 1),
    ("getrange", 4, 1, 1, 1), ("setrange", 4, 1, 1, 1), ("del", -2, 1, -1, 1),
    ("unlink", -2, 1, -1, 1), ("exists", -2, 1, -1, 1), ("type", 2, 1, 1, 1),
    ("rename", 3, 1, 2, 1), ("renamenx", 3, 1, 2, 1), ("keys", 2, 0, 0, 0),
    ("scan", -2, 0, 0, 0), ("randomkey", 1, 0, 0, 0), ("expire", -3, 1, 1, 1),
    ("pexpire", -3, 1, 1, 1), ("expireat", -3, 1, 1, 1), ("pexpireat", -3, 1, 1, 1),
    ("ttl", 2, 1, 1, 1), ("pttl", 2, 1, 1, 1), ("persist", 2, 1, 1, 1),
    ("expiretime", 2, 1, 1, 1), ("pexpiretime", 2, 1, 1, 1), ("object", -2, 0, 0, 0),
    ("ping", -1, 0, 0, 0), ("echo", 2, 0, 0, 0), ("hello", -1, 0, 0, 0),
    ("auth", -2, 0, 0, 0), ("client", -2, 0, 0, 0), ("info", -1, 0, 0, 0),
    ("dbsize", 1, 0, 0, 0), ("flushdb", -1, 0, 0, 0), ("flushall", -1, 0, 0, 0),
    ("config", -2, 0, 0, 0), ("time", 1, 0, 0, 0), ("select", 2, 0, 0, 0),
    ("quit", -1, 0, 0, 0), ("shutdown", -1, 0, 0, 0), ("command", -1, 0, 0, 0),
]


def test_command_count(c):
    count = c.value("COMMAND", "COUNT")
    assert isinstance(count, int)
    assert count >= len(COMMAND_TABLE)


def test_command_info(c):
    names = [row[0] for row in COMMAND_TABLE]
    reply = c.value("COMMAND", "INFO", *names)
    assert len(reply) == len(names)
    for row, entry in zip(COMMAND_TABLE, reply):
        assert entry is not None, row[0]
        assert len(entry) == 10, row[0]
        name, arity_, flags, first, last, step = entry[:6]
        assert (name.decode(), arity_, first, last, step) == row
        assert isinstance(flags, list)
    # Case-insensitive lookup, unknown commands give a null entry.
    assert c.value("COMMAND", "INFO", "GET")[0][0] == b"get"
    assert c.call("COMMAND", "INFO", "nosuchcommand") == b"*1\r\n$-1\r\n"


def test_command_info_flags(c):
    get, set_ = c.value("COMMAND", "INFO", "get", "set")
    assert b"readonly" in get[2] and b"fast" in get[2]
    assert b"write" in set_[2] and b"denyoom" in set_[2]


def test_command_docs(c):
    reply = c.value("COMMAND", "DOCS", "get")
    assert reply[0] == b"get"
    doc = dict(zip(reply[1][0::2], reply[1][1::2]))
    assert doc[b"summary"]
    assert doc[b"group"] == b"string"
    assert c.call("COMMAND", "DOCS", "nosuchcommand") == b"*0\r\n"


@pytest.mark.parametrize("args,keys", [
    (("GET", "k"), [b"k"]),
    (("SET", "k", "v", "EX", "10"), [b"k"]),
    (("MSET", "a", "1", "b", "2"), [b"a", b"b"]),
    (("MGET", "a", "b", "c"), [b"a", b"b", b"c"]),
    (("DEL", "a", "b"), [b"a", b"b"]),
    (("RENAME", "a", "b"), [b"a", b"b"]),
    (("EXPIRE", "k", "10"), [b"k"]),
])
def test_command_getkeys(c, args, keys):
    assert c.value("COMMAND", "GETKEYS", *args) == keys


def test_command_getkeys_errors(c):
    assert c.call("COMMAND", "GETKEYS", "PING", "x") == b"-ERR The command has no key arguments\r\n"
    assert c.call("COMMAND", "GETKEYS", "NOSUCH", "x") == b"-ERR Invalid command specified\r\n"
    assert c.call("COMMAND", "GETKEYS", "GET", "a", "b") == \
        b"-ERR Invalid number of arguments specified for command\r\n"
    assert c.call("COMMAND", "GETKEYS", "GET") == arity(b"command|getkeys")
    assert c.call("COMMAND", "FOO") == b"-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"


# ---- QUIT SHUTDOWN ------------------------------------------------------------------


def test_quit(server, c):
    c.call("SET", "k", "v")
    assert c.call("QUIT") == b"+OK\r\n"
    assert c.is_closed()
    assert server.raw().call("GET", "k") == b"$1\r\nv\r\n"


def test_quit_pipelined_drops_later_commands(server):
    c = server.raw()
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
    assert c.read_until_closed() == b"+OK\r\n+OK\r\n"
    assert server.raw().value("MGET", "a", "b") == [b"1", None]


def test_shutdown_exits_zero(server, c):
    other = server.raw()
    assert c.call("SHUTDOWN", "FOO") == ERR_SYNTAX
    assert server.alive()
    c.send(b"*1\r\n$8\r\nSHUTDOWN\r\n")
    rest = c.read_until_closed(timeout_s=10.0)
    assert not rest.startswith(b"-"), rest
    assert server.wait_exit(10.0) == 0, server.log_tail()
    assert other.is_closed()


def test_shutdown_nosave_exits_zero(server, c):
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
    c.read_until_closed(timeout_s=10.0)
    assert server.wait_exit(10.0) == 0, server.log_tail()


def test_sigterm_exits_zero(server, r):
    import signal
    r.set(b"k", b"v")
    server.proc.send_signal(signal.SIGTERM)
    assert server.wait_exit(10.0) == 0, server.log_tail()


def test_resp_error_type_helper():
    assert decode(b"-ERR x\r\n") == RespError(b"ERR x")
