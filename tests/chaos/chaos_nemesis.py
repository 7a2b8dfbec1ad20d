"""Nemeses: the faults a chaos run injects, alone or two at a time, at random
intervals, each healed after a random hold.

    kill               SIGKILL a node (the leader half of the time); healed
                       by restarting it from its directory (no flags).
    pause              SIGSTOP a node (the leader half of the time); healed
                       by SIGCONT.
    partition-halves   a random minority cut off from the majority (both
                       directions).
    partition-leader   the leader cut off from everyone.
    partition-bridge   two halves that cannot talk, and one node that talks
                       to both (Jepsen's "bridge"; needs 5 nodes, else it
                       is a halves partition).
    partition-one-way  asymmetric: the leader hears nobody, or nobody hears
                       the leader, or one random direction between two
                       nodes is dropped.

    membership         a new node joins (cluster-join, CLUSTER ADDNODE) and
                       replicas move to it while the other faults go on;
                       healed by CLUSTER REMOVENODE (its replicas move back)
                       and, once it left the map (or after 20 s), SIGTERM.
                       Needs several shards (the run sets cluster-shards).
    split              a random shard splits (CLUSTER SPLIT through a random
                       node) while the other faults go on; nothing to heal:
                       the split finishes by itself (its parent's log holds
                       it), which the final convergence check waits for.

A new nemesis is a class with start() and heal() registered in NEMESES. Every fault is logged in the timeline with its time
since the start of the run; heal_all() ends whatever is still active.
"""

import threading
import time


class Fault(object):
    needs_firewall = False

    def __init__(self, nemesis):
        self.n = nemesis
        self.cluster = nemesis.cluster
        self.rng = nemesis.rng

    def target(self):
        """The leader half of the time (when one is known), else any node."""
        if self.rng.random() < 0.5:
            try:
                lead = self.cluster.leader()
            except Exception:
                lead = None
            if lead is not None:
                return lead
        return self.rng.choice(self.cluster.nodes)

    def describe(self):
        return self.detail


class Kill(Fault):
    def start(self):
        candidates = [n for n in self.cluster.nodes if n.alive()]
        lead = self.target()
        self.node = lead if lead.alive() else self.rng.choice(candidates)
        self.node.kill()
        self.detail = "kill -9 %s" % self.node.name

    def heal(self):
        self.node.start()


class Pause(Fault):
    def start(self):
        self.node = self.target()
        if not self.node.alive() or self.node.paused:
            self.node = None
            self.detail = "pause: no running node to pause"
            return
        self.node.pause()
        self.detail = "SIGSTOP %s" % self.node.name

    def heal(self):
        if self.node is not None:
            self.node.resume()


class Partition(Fault):
    needs_firewall = True

    def cut(self, a, b, both=True):
        for x in a:
            for y in b:
                self.n.firewall.drop(x.addr, y.addr)
                if both:
                    self.n.firewall.drop(y.addr, x.addr)

    def heal(self):
        self.n.heal_partitions(self)

    @staticmethod
    def names(nodes):
        return "{%s}" % ",".join(n.name for n in nodes)


class PartitionHalves(Partition):
    def start(self):
        nodes = list(self.cluster.nodes)
        self.rng.shuffle(nodes)
        k = self.rng.randrange(1, len(nodes) // 2 + 1)
        a, b = nodes[:k], nodes[k:]
        self.cut(a, b)
        self.detail = "partition %s | %s" % (self.names(a), self.names(b))


class PartitionLeader(Partition):
    def start(self):
        lead = self.cluster.leader()
        node = lead or self.rng.choice(self.cluster.nodes)
        others = [n for n in self.cluster.nodes if n is not node]
        self.cut([node], others)
        self.detail = "isolate %s%s" % (node.name, " (leader)" if lead else "")


class PartitionBridge(Partition):
    def start(self):
        nodes = list(self.cluster.nodes)
        self.rng.shuffle(nodes)
        if len(nodes) < 5:
            a, b = nodes[:1], nodes[1:]
            self.cut(a, b)
            self.detail = "partition %s | %s (bridge needs 5 nodes)" % (
                self.names(a), self.names(b))
            return
        bridge, a, b = nodes[0], nodes[1:3], nodes[3:]
        self.cut(a, b)
        self.detail = "bridge %s between %s and %s" % (bridge.name, self.names(a),
                                                       self.names(b))


class PartitionOneWay(Partition):
    def start(self):
        lead = self.cluster.leader()
        nodes = self.cluster.nodes
        dice = self.rng.random()
        if lead is not None and dice < 0.35:
            others = [n for n in nodes if n is not lead]
            self.cut(others, [lead], both=False)
            self.detail = "%s hears nobody (leader)" % lead.name
        elif lead is not None and dice < 0.7:
            others = [n for n in nodes if n is not lead]
            self.cut([lead], others, both=False)
            self.detail = "nobody hears %s (leader)" % lead.name
        else:
            x, y = self.rng.sample(nodes, 2)
            self.cut([x], [y], both=False)
            self.detail = "%s -> %s dropped" % (x.name, y.name)


class Membership(Fault):
    def start(self):
        self.node = self.cluster.join_node()
        self.detail = "%s joins" % self.node.name

    def heal(self):
        via = self.cluster.up()
        if via:
            reply = via[0].call("CLUSTER", "REMOVENODE", self.node.id, timeout_s=10.0)
            self.n.log("heal", "REMOVENODE %s: %r" % (self.node.name, reply))
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline and self.cluster.in_map(self.node.id):
            time.sleep(0.2)
        problem = self.node.stop()
        if problem:
            self.n.crashes.append(problem)


class Split(Fault):
    def start(self):
        groups = self.cluster.groups() or {}
        shards = sorted(g for g in groups if g != 0)
        up = self.cluster.up()
        if not shards or not up:
            self.detail = "split: no shard or no node to ask"
            return
        shard = self.rng.choice(shards)
        via = self.rng.choice(up)
        try:
            reply = via.call("CLUSTER", "SPLIT", shard, timeout_s=10.0)
        except Exception as e:  # a paused or killed node: the split may not happen
            reply = "no answer (%s)" % e.__class__.__name__
        self.detail = "CLUSTER SPLIT %d via %s: %r" % (shard, via.name, reply)

    def heal(self):
        pass


NEMESES = {
    "kill": Kill,
    "pause": Pause,
    "partition-halves": PartitionHalves,
    "partition-leader": PartitionLeader,
    "partition-bridge": PartitionBridge,
    "partition-one-way": PartitionOneWay,
    "membership": Membership,
    "split": Split,
}
PROCESS_NEMESES = ("kill", "pause")
PARTITION_NEMESES = ("partition-halves", "partition-leader", "partition-bridge",
                     "partition-one-way")


class Nemesis(threading.Thread):
    """Injects faults of the given kinds until stopped, then heals them."""

    def __init__(self, cluster, firewall, history, rng, kinds, calm_s=(1.0, 3.0),
                 hold_s=(1.0, 4.0), combine_p=0.3):
        super().__init__(name="nemesis", daemon=True)
        self.cluster = cluster
        self.firewall = firewall
        self.history = history
        self.rng = rng
        self.kinds = [k for k in kinds
                      if firewall.available or not NEMESES[k].needs_firewall]
        self.calm_s = calm_s
        self.hold_s = hold_s
        self.combine_p = combine_p
        self.stop_event = threading.Event()
        self.active = []
        self.timeline = []  # (ns since start, event, text)
        self.counts = {}
        self.crashes = []  # nodes that exited without being killed
        self.error = None
        self.lock = threading.Lock()

    def log(self, event, text):
        with self.lock:
            self.timeline.append((self.history.now(), event, text))

    def heal_partitions(self, fault):
        # Rules are not tracked per fault: when one partition heals, all go
        # (two partitions at once are not combined, see run()).
        self.firewall.heal()

    def inject(self, kind):
        fault = NEMESES[kind](self)
        fault.start()
        self.active.append(fault)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.log("start", "%s: %s" % (kind, fault.describe()))

    def heal(self, fault):
        fault.heal()
        self.log("heal", "%s" % fault.describe())

    def check_crashes(self):
        for n in self.cluster.nodes:
            problem = n.exit_problem()
            if problem and problem not in self.crashes:
                self.crashes.append(problem)
                self.log("crash", problem)

    def run(self):
        try:
            while not self.stop_event.wait(self.rng.uniform(*self.calm_s)):
                self.check_crashes()
                if not self.kinds:
                    continue
                first = self.rng.choice(self.kinds)
                self.inject(first)
                if self.rng.random() < self.combine_p:
                    # A second fault of another class: a process fault with a
                    # partition, never two partitions (their rules would mix).
                    pool = [k for k in self.kinds
                            if (k in PARTITION_NEMESES) != (first in PARTITION_NEMESES)]
                    if pool:
                        self.inject(self.rng.choice(pool))
                if self.stop_event.wait(self.rng.uniform(*self.hold_s)):
                    break
                self.check_crashes()
                while self.active:
                    self.heal(self.active.pop())
        except Exception as e:  # a harness bug must fail the run, not vanish
            self.error = "nemesis: %r" % e
        finally:
            self.heal_all()

    def heal_all(self):
        """Ends every active fault; then makes sure every node runs and no
        rule is left, whatever happened."""
        while self.active:
            fault = self.active.pop()
            try:
                self.heal(fault)
            except Exception as e:
                self.error = self.error or "healing %s: %r" % (fault.describe(), e)
        self.firewall.heal()
        self.check_crashes()
        for n in self.cluster.nodes:
            if n.paused:
                n.resume()
            if not n.alive():
                n.start()
                self.log("heal", "restart %s" % n.name)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=120)
