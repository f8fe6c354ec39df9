#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Ansible module fastpath.host.stage_stamp: has a stage converged here, with nothing drifted since?"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stage_stamp
short_description: Tell whether a stage converged on this host and nothing has drifted since
description:
  - A stage that converged on a host records a stamp (C(state=record)) under C(stamp_dir), holding the
    digest of its inputs and a fingerprint of the host state it manages, read from C(paths) and C(commands).
  - C(state=check) reads the same items again. The stage has converged (RV(converged)) only when the
    inputs digest is the one recorded and every item reads the same, no item appeared and none
    vanished. Then running the stage in full would change nothing, and the playbook skips it.
    Otherwise RV(reason) says why not and RV(drifted) names the items that moved.
  - Where the stage is to run, C(check) removes the old stamp, so a stage that fails half-way leaves
    no stamp behind to vouch for what it left.
  - When converged, the facts the stage exported when it converged (C(outputs) at record time) are
    returned as facts again, so the later stages find them as if the stage had run.
  - The action plugin of the same name computes C(digest) on the controller, from the variables, roles,
    modules and sources of the stage; call it as C(fastpath.host.stage_stamp) and it does so.
  - Each C(check) also sets the fact C(fastpath_stages), by stage, to what it answered (C(converged),
    C(reason), C(digest)) and what it read (C(watch)). C(record) takes the stage's check from there,
    so it reads exactly what the check read; where the check said converged, or no check of the stage
    ran, C(record) is skipped.
  - The stamp is fastpath's own record, not host configuration. Writing it never reports a change.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  stage:
    description: Name of the stage; also the stamp's file name.
    type: str
    required: true
  state:
    description:
      - C(check) compares; C(record) writes the stamp after the stage converged; C(absent) removes it
        (restore.yml, which puts back what the stage changed).
    type: str
    choices: [check, record, absent]
    default: check
  digest:
    description:
      - Digest of the stage's inputs. Filled in by the action plugin, which computes it on C(check)
        and takes it from the stage's check in C(fastpath_stages) on C(record).
    type: str
  roles:
    description:
      - On C(check), the roles that make the stage (names in this collection, short or C(fastpath.host.*)).
        Each declares in its C(meta/stamp.yml) what it manages; their declarations for C(entry) are
        templated as the role sees them and added to C(paths), C(commands), C(netdevs), C(sysctl_files),
        C(outputs), C(values) and C(var_prefixes) (a role's own prefix unless it declares others).
        Each role's directory, C(plugins) and C(playbooks) are added to C(sources).
    type: list
    elements: str
  entry:
    description: The entry point of the C(roles) whose declaration is read (a key of C(meta/stamp.yml)).
    type: str
    default: main
  paths:
    description:
      - Glob patterns of the files, sysfs and procfs entries whose content, owner and mode make up
        the fingerprint. A pattern with C({netdev}) in it stands for one pattern per interface of C(netdevs).
      - A pattern that matches nothing is an item too, so a file that appears later is a change.
      - Recursive C(**) patterns are allowed; names that begin with a dot must be given explicitly.
    type: list
    elements: str
    default: []
  commands:
    description:
      - Commands (argv lists, no shell) whose exit code and output make up the fingerprint, for
        example C(ethtool -l eth0).
      - A command with C({netdev}) in an argument runs once for each network interface but C(lo),
        with its name in place.
    type: list
    elements: list
    default: []
  netdevs:
    description:
      - The interfaces C({netdev}) stands for in C(commands) and C(paths). C(default-route) among them
        stands for the interfaces of the IPv4 and IPv6 default routes.
      - Empty, or C(default-route) with no default route, means every interface but C(lo).
    type: list
    elements: str
    default: []
  sysctl_files:
    description:
      - Glob patterns of sysctl.d files the stage writes. The live value of every key they set
        (C(key = value) lines) is part of the fingerprint, whichever profile or override chose it.
    type: list
    elements: str
    default: []
  outputs:
    description:
      - Names of the facts the stage exports for later stages (for example C(cpu_partition_plan)).
      - They are not inputs. On C(record) the action plugin keeps their values in the stamp; a later
        C(check) that finds the stage converged returns them as facts again.
    type: list
    elements: str
    default: []
  output_values:
    description:
      - The values of the facts named in C(outputs), as the stage left them. Filled in by the action
        plugin on C(record).
    type: dict
    default: {}
  sources:
    description:
      - Files and directories, relative to the collection root, whose content is part of the inputs
        (the stage's roles, C(plugins), C(native), the stage's playbook). Build output and caches
        are left out. Used on C(check).
    type: list
    elements: str
    default: []
  var_prefixes:
    description:
      - Every variable whose name starts with one of these (inventory, group, host and extra vars;
        templated) is part of the inputs. Used on C(check).
    type: list
    elements: str
    default: []
  values:
    description:
      - Further inputs, by name, that the stage reads from outside its prefixes (a fact an earlier
        stage exported). Used on C(check).
    type: dict
    default: {}
  forget:
    description:
      - On C(check), remove the stamp where the stage is not converged (it is about to run).
      - false for a check that only reads the facts a stage kept, without running it (deploy and
        smoke run alone read the tune plan this way).
    type: bool
    default: true
  check_mode_runs_stage:
    description:
      - In check mode, C(check) answers not converged, so the stage runs its own check mode and
        C(--check --diff) shows everything it would change, watched or not.
      - false for a check that only reads the facts a stage kept (deploy and smoke run alone).
    type: bool
    default: true
  skip_converged:
    description:
      - When false, C(check) always answers not converged, so the run does every stage in full.
      - The fingerprint is still read. The playbooks pass C(fastpath_skip_converged) here; a value
        that is not a boolean fails the check, before anything changes.
    type: bool
    default: true
  stamp_dir:
    description: Where the stamps are kept.
    type: path
    default: /var/lib/fastpath/stamps
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: >-
      In check mode nothing is written or removed, and C(check) answers not converged (see
      C(check_mode_runs_stage)).
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Ask whether tune converged here and nothing its roles manage has drifted since.
  fastpath.host.stage_stamp:
    stage: tune
    roles: [fastpath.host.sysctl_tuning, fastpath.host.cpu_partition]

- name: Tune, unless it converged.
  ansible.builtin.include_role:
    name: fastpath.host.sysctl_tuning
  when: not fastpath_stages.tune.converged

- name: Record that tune converged, reading what the check read (skipped where it had converged).
  fastpath.host.stage_stamp:
    stage: tune
    state: record

- name: A stage of your own, watched by hand.
  fastpath.host.stage_stamp:
    stage: mine
    var_prefixes: [mine_]
    paths: [/etc/mine.conf, "/sys/class/net/{netdev}/queues/*/rps_cpus"]
    netdevs: [eth0]
    commands: [[ethtool, -l, "{netdev}"]]
"""

RETURN = r"""
stage:
  description: The stage asked about.
  returned: state is check
  type: str
converged:
  description: Whether the stage converged here with these inputs and nothing it fingerprints has moved since.
  returned: state is check
  type: bool
reason:
  description: Why, in one line (no stamp, inputs changed, drifted and what, converged and when).
  returned: always
  type: str
  sample: "drifted: path:/sys/class/net/eth0/queues/rx-0/rps_cpus"
drifted:
  description: The fingerprint items that changed, appeared (new) or vanished (gone).
  returned: state is check
  type: list
  elements: str
digest:
  description: The inputs digest compared against, for the C(record) that follows the stage.
  returned: always
  type: str
watch:
  description:
    - What the check read (stage, paths, commands, netdevs, sysctl_files, outputs).
    - C(record) reads the same again.
  returned: state is check
  type: dict
items:
  description: How many items the fingerprint has.
  returned: state is check or record
  type: int
written:
  description: Whether the stamp was (in check mode, would be) written or removed.
  returned: state is record or absent
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils import stage_state  # noqa: E402

_STAGE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def main():
    module = AnsibleModule(
        argument_spec={
            "stage": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["check", "record", "absent"], "default": "check"},
            "digest": {"type": "str"},
            "paths": {"type": "list", "elements": "str", "default": []},
            "commands": {"type": "list", "elements": "list", "default": []},
            "netdevs": {"type": "list", "elements": "str", "default": []},
            "sysctl_files": {"type": "list", "elements": "str", "default": []},
            "outputs": {"type": "list", "elements": "str", "default": []},
            "output_values": {"type": "dict", "default": {}},
            # Options the action plugin of the same name takes before it calls this module (documented
            # above for the user, who calls the action): the module never receives them.
            "roles": {"type": "list", "elements": "str"},
            "entry": {"type": "str", "default": "main"},
            "sources": {"type": "list", "elements": "str", "default": []},
            "var_prefixes": {"type": "list", "elements": "str", "default": []},
            "values": {"type": "dict", "default": {}},
            "forget": {"type": "bool", "default": True},
            "check_mode_runs_stage": {"type": "bool", "default": True},
            "skip_converged": {"type": "bool", "default": True},
            "stamp_dir": {"type": "path", "default": stage_state.STAMP_DIR},
        },
        required_if=[("state", "check", ["digest"]), ("state", "record", ["digest"])],
        supports_check_mode=True,
    )
    params = module.params
    stage, stamp_dir, digest = params["stage"], params["stamp_dir"], params["digest"] or ""
    if not stage or set(stage) - _STAGE_CHARS or stage.startswith("-"):
        module.fail_json(msg=f"stage {stage!r}: use lower-case letters, digits and '-' only")
    bad = [argv for argv in params["commands"] if not argv or not all(isinstance(a, str) for a in argv)]
    if bad:
        module.fail_json(msg=f"commands must be non-empty lists of strings (argv); got {bad[0]!r}")

    if params["state"] == "absent":
        present = stage_state.load(stage, stamp_dir) is not None
        if present and not module.check_mode:
            stage_state.forget(stage, stamp_dir)
        module.exit_json(changed=False, written=present, digest=digest,
                         reason=f"stamp of {stage} removed" if present else f"no stamp of {stage}")

    current = stage_state.fingerprint(params["paths"], params["commands"],
                                      stage_state.choose_netdevs(params["netdevs"]), params["sysctl_files"])
    if params["state"] == "record":
        written = stage_state.record(stage, digest, current, params["output_values"], stamp_dir,
                                     write=not module.check_mode)
        module.exit_json(changed=False, written=written, digest=digest, items=len(current),
                         reason=f"{stage} recorded as converged ({len(current)} items)")

    stamp = stage_state.load(stage, stamp_dir)
    converged, reason, moved = stage_state.compare(stamp, digest, current)
    if converged and not params["skip_converged"]:
        converged, reason = False, "skipping converged stages is off (fastpath_skip_converged: false)"
    if converged and module.check_mode and params["check_mode_runs_stage"]:
        converged, reason = False, "check mode: the stage runs its own, to show what it would change"
    if not converged and params["forget"] and not module.check_mode:
        # The stage runs now: if it fails half-way, no stamp of before may vouch for what it left.
        stage_state.forget(stage, stamp_dir)
    facts = stamp.get("outputs", {}) if converged else {}
    module.exit_json(changed=False, stage=stage, converged=converged, reason=reason, drifted=moved,
                     digest=digest, items=len(current), ansible_facts=facts)


if __name__ == "__main__":
    main()
