"""Verify after deploy: the server runs sandboxed as its own user with XDP attached and answers echo
from the load client across the lab network; the client has the load generator."""

import json
import struct

import pytest

UNIT = "fastpath-server.service"
PORT = 7777
# struct fp_hdr (native/include/fastpath_wire.h): magic, version, type, flags, session, seq,
# payload_len, send_ts_ns; big-endian, 32 bytes.
HDR = struct.Struct("!IBBHQIIQ")
MAGIC, VERSION, T_INPUT, T_STATE = 0x46505448, 1, 1, 2
# CAP_NET_ADMIN (12), CAP_PERFMON (38), CAP_BPF (39): the unit's AmbientCapabilities, nothing more.
WANTED_CAPS = (1 << 12) | (1 << 38) | (1 << 39)
# `ip -j link` reports XDP attach modes as numbers (XDP_ATTACHED_* in linux/if_link.h).
IP_XDP_MODES = {1: "native", 2: "generic", 3: "offload"}


def groups(host):
    return host.ansible.get_variables().get("group_names", [])


@pytest.fixture
def server(host):
    if "dataplane_servers" not in groups(host):
        pytest.skip("not a dataplane server")
    return host


@pytest.fixture
def client(host):
    if "load_clients" not in groups(host):
        pytest.skip("not a load client")
    return host


def main_pid(host):
    pid = int(host.check_output(f"systemctl show --property=MainPID --value {UNIT}"))
    assert pid > 0, "fastpath-server has no main process"
    return pid


def proc_status(host, pid):
    lines = host.file(f"/proc/{pid}/status").content_string.splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def stats(host):
    return json.loads(host.file("/run/fastpath/stats.json").content_string)


def test_service_is_enabled_and_active(server):
    service = server.service("fastpath-server")
    assert service.is_enabled
    assert service.is_running


def test_server_runs_as_its_own_user_with_only_the_capabilities_it_needs(server):
    status = proc_status(server, main_pid(server))
    uid = int(status["Uid"].split()[0])
    assert uid != 0
    assert server.user("fastpath").uid == uid
    assert int(status["CapEff"], 16) == WANTED_CAPS
    assert int(status["CapBnd"], 16) == WANTED_CAPS
    assert status["NoNewPrivs"].strip() == "1"


def test_unit_is_sandboxed(server):
    props = dict(line.split("=", 1) for line in server.check_output(
        f"systemctl show {UNIT} --property=ProtectSystem,PrivateTmp,NoNewPrivileges,Restart,"
        "LimitMEMLOCK,User,ProtectHome").splitlines())
    assert props["ProtectSystem"] == "strict"
    assert props["PrivateTmp"] == "yes"
    assert props["NoNewPrivileges"] == "yes"
    assert props["Restart"] == "on-failure"
    assert props["User"] == "fastpath"
    assert props["ProtectHome"] == "yes"
    assert props["LimitMEMLOCK"] == "infinity"  # the role's default
    # systemd lowers the limit to the host's hard limit when it may not raise it (the lab: 8 MiB)
    limits = server.file(f"/proc/{main_pid(server)}/limits").content_string
    memlock = next(line for line in limits.splitlines() if line.startswith("Max locked memory")).split()
    assert memlock[3] == "unlimited" or int(memlock[3]) >= 8 << 20


def test_config_is_readable_by_the_server_group_only(server):
    conf = server.file("/etc/fastpath/server.conf")
    assert conf.user == "root" and conf.group == "fastpath" and conf.mode == 0o640
    assert server.run(f"/opt/fastpath/bin/fastpath-server --check-config --config {conf.path}").rc == 0


def test_xdp_program_is_attached_in_the_mode_the_server_reports(server):
    link = json.loads(server.check_output("ip -json -details link show eth0"))[0]
    assert "xdp" in link, "no XDP program on eth0"
    assert link["xdp"]["prog"]["name"] == "fastpath_xdp"
    reported = stats(server)["xdp_mode"]
    assert reported in ("native", "generic")
    assert IP_XDP_MODES[link["xdp"]["mode"]] == reported


def test_xdp_pins_belong_to_the_server(server):
    pins = server.file("/sys/fs/bpf/fastpath/eth0")
    assert pins.is_directory and pins.user == "fastpath"


def test_binaries_and_bpf_objects_are_installed(server):
    assert server.file("/opt/fastpath/bin/fastpath-server").mode == 0o755
    assert server.file("/opt/fastpath/lib/bpf/fastpath_xdp.bpf.o").is_file


def test_loadgen_is_installed(client):
    loadgen = client.file("/opt/fastpath/bin/fastpath-loadgen")
    assert loadgen.is_file and loadgen.mode == 0o755
    assert not client.service("fastpath-server").is_enabled


ECHO_CLIENT = r"""
import socket, struct, sys, time
hdr = struct.Struct("!IBBHQIIQ")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
for seq in range(int(sys.argv[3])):
    payload = bytes(24)
    s.sendto(hdr.pack(0x46505448, 1, 1, 0, 4242, seq, len(payload), time.time_ns()) + payload,
             (sys.argv[1], int(sys.argv[2])))
    try:
        data, peer = s.recvfrom(4096)
    except TimeoutError:
        print("timeout", seq)
        continue
    print(peer[0], len(data), data[:32].hex())
"""


def test_echo_answers_across_the_lab_network(client):
    count = 5
    out = client.check_output(f"python3 -c '{ECHO_CLIENT}' srv1 {PORT} {count}")
    replies = [line.split() for line in out.splitlines() if not line.startswith("timeout")]
    assert len(replies) == count, out
    for seq, (_peer, size, head) in enumerate(replies):
        magic, version, kind, _flags, session, rseq, plen, _ts = HDR.unpack(bytes.fromhex(head))
        assert (magic, version, kind, session, rseq) == (MAGIC, VERSION, T_STATE, 4242, seq)
        # no amplification: a state message is never larger than the input it answers
        assert int(size) <= HDR.size + 24 and plen == int(size) - HDR.size
