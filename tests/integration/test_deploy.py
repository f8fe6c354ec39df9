"""playbooks/deploy.yml on a one-host lab fleet (instance 2): deploys, then shows that bad settings
never replace a good configuration nor restart the running server, and that check mode changes nothing.

Bad settings come in two kinds: those the role's own checks refuse before touching the host, and one
that passes them but that fastpath-server --check-config refuses (an IPv4 address with an octet above
255), so the template's validation is what keeps the old file. Takes ~3 min (one build on the host).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
SSH_KEY = "/var/lib/fastpath-lab/ssh/id_ed25519"
CONF = "/etc/fastpath/server.conf"


def deploy(lab_tools, *extra: str) -> subprocess.CompletedProcess:
    # Not tuned here: deploy alone needs the workers given (a later -e of the test's own wins).
    argv = [str(ANSIBLE_PLAYBOOK), "playbooks/deploy.yml", "--limit", "dataplane_servers",
            "-e", "dataplane_worker_cpus=1", *extra]
    env = dict(os.environ, ANSIBLE_CONFIG=str(lab_tools.repo / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               FASTPATH_LAB_INSTANCE=str(lab_tools.instance))
    return subprocess.run(argv, cwd=lab_tools.repo, capture_output=True, text=True, timeout=600, env=env,
                          check=False)


def on_server(lab_tools, command: str) -> str:
    argv = ["ssh", "-i", SSH_KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            f"root@198.18.{lab_tools.instance}.11", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout


def recap(output: str) -> dict[str, int]:
    """The srv1 line of PLAY RECAP, summed over plays: {'ok': .., 'changed': .., 'failed': ..}."""
    totals: dict[str, int] = {}
    for line in output.splitlines():
        if line.startswith("srv1") and "ok=" in line:
            for field in line.split(":", 1)[1].split():
                key, value = field.split("=")
                totals[key] = totals.get(key, 0) + int(value)
    return totals


def server_state(lab_tools) -> tuple[str, str]:
    """(main PID of fastpath-server, sha256 of its configuration file)."""
    pid = on_server(lab_tools, "systemctl show --property=MainPID --value fastpath-server").strip()
    digest = on_server(lab_tools, f"sha256sum {CONF}").split()[0]
    return pid, digest


@pytest.fixture(scope="module")
def deployed(lab_tools):
    up = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "1")
    assert up.returncode == 0, up.stderr
    first = deploy(lab_tools)
    assert first.returncode == 0, first.stdout[-4000:]
    return first


def test_deploy_reports_the_xdp_mode_the_server_attached(lab_tools, deployed):
    stats = json.loads(on_server(lab_tools, "cat /run/fastpath/stats.json"))
    assert stats["xdp_mode"] in ("native", "generic")
    assert f"XDP {stats['xdp_mode']} on eth0" in deployed.stdout
    # The driver's reason is said where, and only where, it refused native mode.
    refused = stats.get("xdp", {}).get("native_refused", "")
    assert not (stats["xdp_mode"] == "native" and refused), stats
    assert ("the driver refused native XDP: " in deployed.stdout) == bool(refused), deployed.stdout[-3000:]


@pytest.mark.parametrize(("extra", "message"), [
    ("dataplane_port=70000", "dataplane_port must be from 1 to 65535, got 70000"),
    ("dataplane_worker_cpus=0,63", "dataplane_worker_cpus: CPU(s) 63 are not online on this host"),
    ("dataplane_worker_cpus=one", 'dataplane_worker_cpus must be a cpulist such as "1-3,6"'),
    ("dataplane_mode=relay", "dataplane_mode is relay but dataplane_upstreams is empty"),
    ("dataplane_buffers=1000", "dataplane_buffers must be a power of two from 64 to 32768, got 1000"),
    ("dataplane_restart_throttle=-1", "dataplane_restart_throttle must be 0 (all at once) or more, got -1"),
    ('{"dataplane_mode": "relay", "dataplane_upstreams": ["198.18.2.50"]}',
     'dataplane_upstreams must be "address:port"'),
])
def test_bad_settings_stop_the_role_before_it_changes_anything(lab_tools, deployed, extra, message):
    before = server_state(lab_tools)
    result = deploy(lab_tools, "-e", extra)
    assert result.returncode != 0
    assert message in result.stdout
    assert recap(result.stdout)["changed"] == 0
    assert server_state(lab_tools) == before


def test_a_config_the_server_refuses_never_replaces_the_good_one(lab_tools, deployed):
    before = server_state(lab_tools)
    result = deploy(lab_tools, "-e", "dataplane_listen_address=198.18.2.300")
    assert result.returncode != 0
    assert "failed to validate" in result.stdout
    assert "listen_address" in result.stdout  # the server's own message names the key
    assert server_state(lab_tools) == before


# Converged, deploy is skipped after one read; with skipping off the role itself runs in check mode.
@pytest.mark.parametrize("skip_converged", ["true", "false"])
def test_check_mode_on_a_deployed_host_changes_nothing(lab_tools, deployed, skip_converged):
    before = server_state(lab_tools)
    result = deploy(lab_tools, "--check", "--diff", "-e", f"fastpath_skip_converged={skip_converged}")
    assert result.returncode == 0, result.stdout[-4000:]
    assert recap(result.stdout)["changed"] == 0
    assert server_state(lab_tools) == before


def test_changing_a_knob_restarts_the_server_with_it(lab_tools, deployed):
    before_pid, before_digest = server_state(lab_tools)
    result = deploy(lab_tools, "-e", "dataplane_batch=32")
    assert result.returncode == 0, result.stdout[-4000:]
    pid, digest = server_state(lab_tools)
    assert pid != before_pid and digest != before_digest
    assert "batch = 32" in on_server(lab_tools, f"cat {CONF}")
    # and back: the next default run puts the default in place again
    assert deploy(lab_tools).returncode == 0
    assert "batch = 64" in on_server(lab_tools, f"cat {CONF}")
