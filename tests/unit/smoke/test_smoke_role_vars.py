"""The smoke_test role's own templates in vars/main.yml (and the filters they call), rendered by
Ansible's templar on what the role registered in real runs on the lab (fixtures/role-registered-*.json,
written by fixtures/capture-role-registered.yml; client-killed: cli1's nspawn and init SIGKILLed 4 s
into a 10 s load): which load clients failed a server, and its measured window."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

ROLE = Path(__file__).resolve().parents[3] / "roles" / "smoke_test"
FIXTURES = Path(__file__).parent / "fixtures"
SERVERS = ("srv1", "srv2")


@pytest.fixture(autouse=True, scope="module")
def collection_filters():
    """The role's templates call the collection's filters (fastpath.host.smoke_client_problems, ...),
    which Ansible's plugin loader finds on the in-place checkout's collections path through its own
    import hook. The other tests import the collection from sys.path: their modules are set aside
    while the hook is in place, and put back after it is removed."""
    imported = {name: sys.modules.pop(name) for name in list(sys.modules)
                if name.startswith("ansible_collections")}
    init_plugin_loader([str(ROLE.parents[1] / "collections")])
    yield
    _AnsibleCollectionFinder._remove()
    for name in [name for name in sys.modules if name.startswith("ansible_collections")]:
        del sys.modules[name]
    sys.modules.update(imported)


def registered(case: str) -> dict[str, dict]:
    """{server: the role's registered start and wait results} of one captured run."""
    return json.loads((FIXTURES / f"role-registered-{case}.json").read_text())


def render(name: str, server_vars: dict, **extra) -> object:
    """Template the role variable `name` as the role would on one server: role vars over defaults."""
    loader = DataLoader()
    defaults = loader.load_from_file(str(ROLE / "defaults" / "main.yml"), trusted_as_template=True)
    role_vars = loader.load_from_file(str(ROLE / "vars" / "main.yml"), trusted_as_template=True)
    variables = {**defaults, **role_vars, **server_vars, "role_path": str(ROLE),
                 "__smoke_test_window_start": "2026-11-22T06:10:23.657291Z",
                 "__smoke_test_window_end": "2026-11-22T06:10:32.110803Z", **extra}
    return Templar(loader=loader, variables=variables).template(role_vars[name])


@pytest.mark.parametrize("server", SERVERS)
def test_a_run_where_every_client_finished_has_no_client_problem(server):
    assert render("__smoke_test_client_problems", registered("green")[server]) == []


@pytest.mark.parametrize("server", SERVERS)
def test_the_window_holds_each_load_generators_own_start_and_end(server):
    window = render("__smoke_test_window", registered("green")[server])
    assert window["start"] == "2026-11-22T06:10:23.657291Z" and window["end"] == "2026-11-22T06:10:32.110803Z"
    [load] = window["load"]
    assert load["client"] == "cli1"
    elapsed = datetime.fromisoformat(load["end"]) - datetime.fromisoformat(load["start"])
    assert 5 <= elapsed.total_seconds() < 5 + 30  # the 5 s of load, plus start-up and linger


def test_both_servers_were_loaded_by_cli1_at_the_same_time():
    loads = [render("__smoke_test_window", registered("green")[s])["load"][0] for s in SERVERS]
    starts = [datetime.fromisoformat(load["start"]) for load in loads]
    ends = [datetime.fromisoformat(load["end"]) for load in loads]
    assert max(starts) < min(ends)


@pytest.mark.parametrize("server", SERVERS)
def test_an_unreachable_client_is_named_with_the_ssh_error(server):
    problems = render("__smoke_test_client_problems", registered("ghost")[server])
    assert problems == [
        "ghost: unreachable, its load generator never started: Failed to connect to the host via ssh: "
        "ssh: connect to host 127.0.0.1 port 1: Connection refused"
    ]
    # cli1's share still ran and is in the window; the ghost never started one.
    assert [load["client"] for load in render("__smoke_test_window", registered("ghost")[server])["load"]] \
        == ["cli1"]


@pytest.mark.parametrize("server", SERVERS)
def test_a_missing_load_generator_says_which_path_and_who_installs_it(server):
    problems = render("__smoke_test_client_problems", registered("no-loadgen")[server],
                      smoke_test_loadgen="/opt/fastpath/bin/no-such-loadgen")
    assert problems == [
        "cli1: the load generator failed (rc 2): Error executing command. (cannot run "
        "/opt/fastpath/bin/no-such-loadgen: playbooks/deploy.yml installs it on the load clients)"
    ]


@pytest.mark.parametrize("server", SERVERS)
def test_a_client_killed_while_the_load_ran_is_named(server):
    problems = render("__smoke_test_client_problems", registered("client-killed")[server],
                      smoke_test_duration_s=10)
    assert problems == [
        'cli1: unreachable while the load ran: Data could not be sent to remote host "198.18.4.101". '
        "Make sure this host can be reached over ssh:"
    ]


def test_the_port_and_load_generator_default_to_the_dataplane_roles_own_defaults():
    """smoke_test reads no file of the dataplane role; its fallbacks must stay the values that role
    defaults to, or a fleet that sets neither would load a port nothing listens on."""
    loader = DataLoader()
    dataplane = loader.load_from_file(str(ROLE.parent / "dataplane" / "defaults" / "main.yml"))
    assert int(render_default("smoke_test_port", {})) == dataplane["dataplane_port"]
    assert render_default("smoke_test_loadgen", {}) == f"{dataplane['dataplane_prefix']}/bin/fastpath-loadgen"
    # The inventory's dataplane variables win over both.
    assert int(render_default("smoke_test_port", {"dataplane_port": 40000})) == 40000
    assert render_default("smoke_test_loadgen", {"dataplane_prefix": "/srv"}) == "/srv/bin/fastpath-loadgen"


def render_default(name: str, inventory: dict) -> object:
    loader = DataLoader()
    defaults = loader.load_from_file(str(ROLE / "defaults" / "main.yml"), trusted_as_template=True)
    return Templar(loader=loader, variables={**defaults, **inventory}).template(defaults[name])
